//! The connection's state machine as one pure function: every state change of a connection
//! goes through [`transition`], and the table test below covers every (state, event) pair.

use shared::tenant_connection::ConnectionState;

/// What happens to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Someone started step 2 (sign in to Microsoft and consent).
    SetupStarted,
    /// A proven admin consent landed.
    ConsentGranted,
    /// The attempt ended without a consent (cancelled, refused, expired): back to where the
    /// attempt started.
    AttemptEnded { before: ConnectionState },
    /// Every verification check passed.
    VerifyPassed,
    /// A verification check failed (not a Microsoft outage, which changes nothing).
    VerifyFailed,
    /// An admin disconnected the tenant.
    Disconnected,
    /// A connection made the old way was recorded (seed, command line).
    LegacyRecorded,
}

/// An event that makes no sense in the state it arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAllowed {
    pub state: ConnectionState,
    pub event: Event,
}

/// The state after `event`. A connection in use (`connected`, `needs_attention`) stays watched
/// while it is consented again; an answer to an older attempt never undoes a newer state.
pub fn transition(state: ConnectionState, event: Event) -> Result<ConnectionState, NotAllowed> {
    use ConnectionState::*;
    let in_use = matches!(state, Connected | NeedsAttention);
    let next = match event {
        Event::SetupStarted | Event::ConsentGranted if in_use => state,
        Event::SetupStarted => ConsentPending,
        Event::ConsentGranted => ConsentGranted,
        Event::AttemptEnded { before } if state == ConsentPending => before,
        Event::AttemptEnded { .. } => state,
        Event::VerifyPassed if state == NotConnected => return Err(NotAllowed { state, event }),
        Event::VerifyPassed => Connected,
        Event::VerifyFailed if in_use => NeedsAttention,
        Event::VerifyFailed => state,
        Event::Disconnected if state == NotConnected => return Err(NotAllowed { state, event }),
        Event::Disconnected => NotConnected,
        Event::LegacyRecorded if state == NotConnected => Legacy,
        Event::LegacyRecorded => return Err(NotAllowed { state, event }),
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionState::*;

    const STATES: [ConnectionState; 6] = [
        NotConnected,
        Legacy,
        ConsentPending,
        ConsentGranted,
        Connected,
        NeedsAttention,
    ];

    /// Every state against every event; `None` where the event is refused.
    #[test]
    fn every_state_and_event() {
        let ended = |before| Event::AttemptEnded { before };
        #[rustfmt::skip]
        let table: [(Event, [Option<ConnectionState>; 6]); 8] = [
            // event                   NotConnected          Legacy                ConsentPending        ConsentGranted        Connected             NeedsAttention
            (Event::SetupStarted,      [Some(ConsentPending), Some(ConsentPending), Some(ConsentPending), Some(ConsentPending), Some(Connected),      Some(NeedsAttention)]),
            (Event::ConsentGranted,    [Some(ConsentGranted), Some(ConsentGranted), Some(ConsentGranted), Some(ConsentGranted), Some(Connected),      Some(NeedsAttention)]),
            (ended(Legacy),            [Some(NotConnected),   Some(Legacy),         Some(Legacy),         Some(ConsentGranted), Some(Connected),      Some(NeedsAttention)]),
            (ended(NotConnected),      [Some(NotConnected),   Some(Legacy),         Some(NotConnected),   Some(ConsentGranted), Some(Connected),      Some(NeedsAttention)]),
            (Event::VerifyPassed,      [None,                 Some(Connected),      Some(Connected),      Some(Connected),      Some(Connected),      Some(Connected)]),
            (Event::VerifyFailed,      [Some(NotConnected),   Some(Legacy),         Some(ConsentPending), Some(ConsentGranted), Some(NeedsAttention), Some(NeedsAttention)]),
            (Event::Disconnected,      [None,                 Some(NotConnected),   Some(NotConnected),   Some(NotConnected),   Some(NotConnected),   Some(NotConnected)]),
            (Event::LegacyRecorded,    [Some(Legacy),         None,                 None,                 None,                 None,                 None]),
        ];
        for (event, expected) in table {
            for (state, want) in STATES.into_iter().zip(expected) {
                assert_eq!(transition(state, event).ok(), want, "{state:?} + {event:?}");
            }
        }
    }

    #[test]
    fn an_attempt_started_from_any_state_returns_there() {
        for before in STATES {
            let pending = transition(before, Event::SetupStarted).unwrap_or(before);
            let after = transition(pending, Event::AttemptEnded { before }).unwrap_or(pending);
            assert_eq!(after, before, "{before:?}");
        }
    }
}
