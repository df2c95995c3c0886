//! Recurring jobs. Each tick enqueues the current slot of every schedule with a unique key
//! naming the slot, so any number of schedulers (one per worker process) never double-enqueue.

use crate::App;
use prospector_core::time::now_ms;
use prospector_store::jobs::{self, NewJob};

/// A job that runs every `every_ms`, at slot boundaries.
#[derive(Debug, Clone)]
pub struct Recurring {
    pub name: String,
    pub kind: String,
    pub payload: String,
    pub every_ms: i64,
}

/// The set of recurring jobs.
#[derive(Debug, Clone)]
pub struct Scheduler {
    pub schedules: Vec<Recurring>,
}

impl Scheduler {
    /// The platform's recurring jobs; later issues add theirs (discovery runs, IMAP polls...).
    pub fn standard() -> Scheduler {
        Scheduler {
            schedules: [Recurring {
                name: "cleanup".into(),
                kind: "system.cleanup".into(),
                payload: "{}".into(),
                every_ms: 60 * 60 * 1000,
            }]
            .into_iter()
            .chain(crate::outreach::schedules())
            .chain(crate::inbound::schedules())
            .chain(crate::messaging::schedules())
            .collect(),
        }
    }

    /// Enqueue the current slot of each schedule. Returns how many were newly enqueued.
    pub async fn tick(&self, app: &App) -> crate::AppResult<usize> {
        let now = now_ms();
        let mut n = 0;
        for s in &self.schedules {
            let every = s.every_ms.max(1000);
            let slot = now - now.rem_euclid(every);
            let mut job = NewJob::new(&s.kind, &s.payload);
            job.run_at = slot;
            job.max_attempts = 3;
            job.unique_key = Some(format!("recurring:{}:{}", s.name, slot));
            if jobs::enqueue(app.db(), &job).await?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }
}
