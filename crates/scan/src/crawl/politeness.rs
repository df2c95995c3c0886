//! Per-host politeness (a few connections, a gap between requests) and a global cap on
//! requests in flight, shared by every site of a batch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

struct HostSlot {
    conns: Arc<Semaphore>,
    next: tokio::sync::Mutex<Instant>,
    delay: Mutex<Duration>,
}

/// Shared limiter. Cheap to clone.
#[derive(Clone)]
pub struct Politeness {
    hosts: Arc<Mutex<HashMap<String, Arc<HostSlot>>>>,
    global: Arc<Semaphore>,
    per_host: usize,
    delay: Duration,
}

/// Held while a request is in flight.
pub struct Permit {
    // `None` only if a semaphore were closed, which this module never does.
    _host: Option<OwnedSemaphorePermit>,
    _global: Option<OwnedSemaphorePermit>,
}

impl Politeness {
    /// `per_host` connections and `delay` between request starts per host; `global`
    /// requests in flight overall.
    pub fn new(per_host: usize, delay: Duration, global: usize) -> Self {
        Politeness {
            hosts: Arc::new(Mutex::new(HashMap::new())),
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            delay,
        }
    }

    fn slot(&self, host: &str) -> Arc<HostSlot> {
        let mut map = match self.hosts.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if map.len() > 4096 {
            // Forget idle hosts so a long batch does not grow the map without bound.
            let now = Instant::now();
            map.retain(|_, s| {
                Arc::strong_count(s) > 1 || s.next.try_lock().map(|n| *n > now).unwrap_or(true)
            });
        }
        map.entry(host.to_ascii_lowercase())
            .or_insert_with(|| {
                Arc::new(HostSlot {
                    conns: Arc::new(Semaphore::new(self.per_host)),
                    next: tokio::sync::Mutex::new(Instant::now()),
                    delay: Mutex::new(self.delay),
                })
            })
            .clone()
    }

    /// Raises the gap for a host (robots.txt `Crawl-delay`).
    pub fn set_delay(&self, host: &str, delay: Duration) {
        let slot = self.slot(host);
        if let Ok(mut d) = slot.delay.lock()
            && delay > *d
        {
            *d = delay;
        }
    }

    /// Waits for a connection slot on `host`, the host's gap, and a global slot.
    pub async fn acquire(&self, host: &str) -> Permit {
        let slot = self.slot(host);
        let host_permit = slot.conns.clone().acquire_owned().await.ok();
        let delay = slot.delay.lock().map(|d| *d).unwrap_or(self.delay);
        {
            let mut next = slot.next.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep_until(*next).await;
            }
            *next = Instant::now().max(*next) + delay;
        }
        let global = self.global.clone().acquire_owned().await.ok();
        Permit {
            _host: host_permit,
            _global: global,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_requests_to_one_host() {
        let p = Politeness::new(2, Duration::from_millis(50), 10);
        let start = Instant::now();
        for _ in 0..3 {
            let _permit = p.acquire("a.example").await;
        }
        assert!(start.elapsed() >= Duration::from_millis(100));
        let start = Instant::now();
        let _x = p.acquire("b.example").await;
        assert!(start.elapsed() < Duration::from_millis(40));
    }
}
