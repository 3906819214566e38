// The tables, as diesel sees them. Kept by hand in step with migrations/{sqlite,postgres}:
// both backends share this one schema, so only types both support are used.

diesel::table! {
    accounts (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        billing_rule -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        account_id -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        password_changed_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        prefix -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        creator_id -> Nullable<Text>,
        creator_email -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        account_id -> Text,
        email -> Text,
        role -> Text,
        secret_hash -> Text,
        invited_by -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        window_started_at -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        account_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_throttle (key) {
        key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));
// Sessions are read with their user and account in one query (see db::sessions).
diesel::allow_tables_to_appear_in_same_query!(sessions, users);
diesel::allow_tables_to_appear_in_same_query!(sessions, accounts);

diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(api_tokens -> accounts (account_id));
diesel::joinable!(invitations -> accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    users,
    api_tokens,
    invitations,
    tenant_connections,
    consent_states
);

diesel::table! {
    tenant_connections (account_id) {
        account_id -> Text,
        state -> Text,
        claimed_tenant_id -> Nullable<Text>,
        tenant_id -> Nullable<Text>,
        tenant_name -> Nullable<Text>,
        consent_granted_at -> Nullable<Timestamp>,
        connected_at -> Nullable<Timestamp>,
        legacy_service_account -> Nullable<Text>,
        last_report -> Nullable<Text>,
        notice -> Nullable<Text>,
        verifying_until -> Nullable<Timestamp>,
        next_health_check_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        verify_window_started_at -> Nullable<Timestamp>,
        verify_window_count -> Integer,
    }
}

diesel::table! {
    consent_states (state_hash) {
        state_hash -> Text,
        account_id -> Text,
        user_id -> Text,
        binding_hash -> Text,
        previous_state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        nonce -> Text,
        signed_in_at -> Nullable<Timestamp>,
        signed_in_tenant_id -> Nullable<Text>,
        signed_in_user -> Nullable<Text>,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        account_id -> Nullable<Text>,
        kind -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_after -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        leased_by -> Nullable<Text>,
        progress_done -> BigInt,
        progress_total -> Nullable<BigInt>,
        result -> Nullable<Text>,
        last_error -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    directory_users (account_id, id) {
        account_id -> Text,
        id -> Text,
        tenant_id -> Text,
        user_principal_name -> Text,
        display_name -> Text,
        usage_location -> Nullable<Text>,
        account_enabled -> Bool,
        licensed -> Bool,
        teams_numbers -> Text,
        search -> Text,
        service_state -> Text,
        service_number -> Nullable<Text>,
        service_detail -> Nullable<Text>,
        service_job_id -> Nullable<Text>,
        service_operation -> Nullable<Text>,
        service_updated_at -> Nullable<Timestamp>,
        synced_at -> Timestamp,
        service_profile_id -> Nullable<Text>,
        service_parts -> Nullable<Text>,
        service_saga -> Nullable<Text>,
        service_given_by -> Nullable<Text>,
    }
}

diesel::table! {
    directory_syncs (account_id) {
        account_id -> Text,
        tenant_id -> Text,
        delta_link -> Nullable<Text>,
        last_synced_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        job_id -> Nullable<Text>,
    }
}

diesel::table! {
    number_blocks (id) {
        id -> Text,
        account_id -> Text,
        label -> Nullable<Text>,
        location -> Nullable<Text>,
        first_number -> Text,
        last_number -> Text,
        count -> Integer,
        created_at -> Timestamp,
        default_profile_id -> Nullable<Text>,
        number_type -> Text,
    }
}

diesel::table! {
    voice_profiles (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        number_source -> Text,
        policies -> Text,
        location_id -> Nullable<Text>,
        location_label -> Nullable<Text>,
        is_default -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    phone_numbers (account_id, number) {
        account_id -> Text,
        number -> Text,
        block_id -> Text,
        country -> Text,
        location -> Nullable<Text>,
        status -> Text,
        user_id -> Nullable<Text>,
        available_from -> Nullable<Timestamp>,
        assigned_at -> Nullable<Timestamp>,
        conflict_kind -> Nullable<Text>,
        conflict_teams_user -> Nullable<Text>,
        conflict_found_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (account_id, key) {
        account_id -> Text,
        key -> Text,
        fingerprint -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bulk_items (job_id, position) {
        job_id -> Text,
        position -> Integer,
        user_ref -> Text,
        user_id -> Nullable<Text>,
        outcome -> Text,
        number -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    ledger_events (id) {
        id -> Text,
        account_id -> Text,
        occurred_at -> Timestamp,
        kind -> Text,
        actor -> Text,
        user_id -> Nullable<Text>,
        number -> Nullable<Text>,
        operation_id -> Nullable<Text>,
        detail -> Nullable<Text>,
        actor_name -> Text,
        summary -> Text,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        account_id -> Text,
        url -> Text,
        description -> Text,
        event_types -> Text,
        secret_sealed -> Text,
        enabled -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        account_id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        account_id -> Text,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> Integer,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts
);
diesel::allow_tables_to_appear_in_same_query!(ledger_events, users);

diesel::joinable!(phone_numbers -> number_blocks (block_id));
diesel::allow_tables_to_appear_in_same_query!(
    phone_numbers,
    number_blocks,
    directory_users,
    ledger_events
);
