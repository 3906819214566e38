DROP TABLE connection_events;
DROP TABLE consent_states;
DROP TABLE tenant_connections;
