//! The room's bounds, and the token bucket that holds each socket to its share.

use std::time::{Duration, Instant};

/// Every bound of the live room. Defaults suit one server with a class of a few hundred.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomLimits {
    /// Students in one room (distinct browsers); one more is told the room is full.
    /// `RMP_ROOM_CAPACITY`, default 500.
    pub capacity: u32,
    /// Rooms open on this server at once; `RMP_ROOM_MAX_ROOMS`, default 1000.
    pub max_rooms: usize,
    /// A room nobody has spoken in or joined for this long is closed; `RMP_ROOM_IDLE_MINUTES`,
    /// default 120.
    pub idle: Duration,
    /// Messages a room can hold for a follower that has not read them yet (per room; a follower
    /// further behind is dropped and catches up from a snapshot when it reconnects).
    pub follower_buffer: usize,
    /// A follower whose socket does not take a message in this time is dropped.
    pub send_timeout: Duration,
    /// How long a new socket has to say who it is.
    pub join_timeout: Duration,
    /// Largest message a student's socket may send, and a teacher's (a push carries code).
    pub student_message_bytes: usize,
    pub teacher_message_bytes: usize,
    /// Messages per second a socket may send on average, and the burst above that.
    pub messages_per_second: u32,
    pub message_burst: u32,
    /// Bytes per second a socket may send on average (bursts up to one largest message more).
    pub bytes_per_second: u32,
}

impl Default for RoomLimits {
    fn default() -> Self {
        RoomLimits {
            capacity: 500,
            max_rooms: 1000,
            idle: Duration::from_secs(120 * 60),
            follower_buffer: 128,
            send_timeout: Duration::from_secs(10),
            join_timeout: Duration::from_secs(10),
            student_message_bytes: 16 * 1024,
            teacher_message_bytes: 160 * 1024,
            messages_per_second: 10,
            message_burst: 40,
            bytes_per_second: 64 * 1024,
        }
    }
}

impl RoomLimits {
    /// The defaults with `RMP_ROOM_CAPACITY`, `RMP_ROOM_MAX_ROOMS` and `RMP_ROOM_IDLE_MINUTES`
    /// applied; a value that is not a positive number is an error naming the variable.
    pub fn from_env() -> Result<RoomLimits, String> {
        fn read(name: &str) -> Result<Option<u64>, String> {
            match std::env::var(name) {
                Err(_) => Ok(None),
                Ok(text) => match text.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Some(n)),
                    _ => Err(format!(
                        "{name} must be a positive whole number, not {text:?}"
                    )),
                },
            }
        }
        let mut limits = RoomLimits::default();
        if let Some(n) = read("RMP_ROOM_CAPACITY")? {
            limits.capacity = u32::try_from(n).map_err(|_| "RMP_ROOM_CAPACITY is too large")?;
        }
        if let Some(n) = read("RMP_ROOM_MAX_ROOMS")? {
            limits.max_rooms = n as usize;
        }
        if let Some(n) = read("RMP_ROOM_IDLE_MINUTES")? {
            limits.idle = Duration::from_secs(n.saturating_mul(60));
        }
        Ok(limits)
    }
}

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Clone, Debug)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(rate: u32, burst: u32, now: Instant) -> Bucket {
        Bucket {
            rate: f64::from(rate),
            burst: f64::from(burst),
            tokens: f64::from(burst),
            last: now,
        }
    }

    /// Takes `amount` tokens if there are that many; `false` (and nothing taken) otherwise.
    pub fn take(&mut self, amount: u32, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        let amount = f64::from(amount);
        if self.tokens >= amount {
            self.tokens -= amount;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(10, 3, start);
        assert!((0..3).all(|_| bucket.take(1, start)));
        assert!(!bucket.take(1, start), "the burst is spent");
        // A tenth of a second later, one more token.
        let later = start + Duration::from_millis(100);
        assert!(bucket.take(1, later));
        assert!(!bucket.take(1, later));
        // Saved tokens never exceed the burst.
        let much_later = later + Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.take(1, much_later)));
        assert!(!bucket.take(1, much_later));
    }
}
