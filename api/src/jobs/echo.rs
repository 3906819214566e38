//! The `echo` job: a diagnostic that proves the queue end to end (claim, progress, result,
//! failure and retry) without touching Microsoft or changing anything.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::jobs::JobKind;

use super::{Job, JobContext, JobError};

/// The longest pause between steps.
const MAX_STEP: Duration = Duration::from_secs(10);
/// The most steps.
const MAX_STEPS: u32 = 1000;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    /// Answered as the result (or, with `fail`, as the error).
    pub message: String,
    /// Progress steps to report before answering (at most 1000).
    #[serde(default)]
    pub steps: u32,
    /// Pause before each step, in milliseconds (at most 10 s).
    #[serde(default)]
    pub step_ms: u64,
    /// Fail every attempt with `message`.
    #[serde(default)]
    pub fail: bool,
}

/// What a run answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Echoed {
    pub message: String,
    /// The process that ran it.
    pub ran_by: String,
}

impl Job for Echo {
    const KIND: JobKind = JobKind::Echo;
    const MAX_ATTEMPTS: u32 = 3;
    type Output = Echoed;

    async fn run(self, ctx: JobContext) -> Result<Echoed, JobError> {
        let steps = self.steps.min(MAX_STEPS);
        let pause = Duration::from_millis(self.step_ms).min(MAX_STEP);
        let total = Some(u64::from(steps));
        ctx.progress(0, total).await?;
        for done in 1..=steps {
            tokio::time::sleep(pause).await;
            ctx.progress(u64::from(done), total).await?;
        }
        if self.fail {
            return Err(JobError::new(self.message));
        }
        Ok(Echoed {
            message: self.message,
            ran_by: ctx.process_id.to_string(),
        })
    }
}
