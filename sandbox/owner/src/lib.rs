//! Which sandbox instance owns a container, and whether that instance is still alive.
//!
//! Several servers (or a server and a test run) may share one dockerd, so a sweep must tell a
//! live instance's containers from true orphans. Every container carries its owner's process
//! identity as labels: host name, boot id, pid and the pid's start time (clock ticks since
//! boot, from `/proc/<pid>/stat`). On the same host and boot, the owner is alive exactly when a
//! process with that pid and that start time exists (a reused pid has another start time). A
//! container from another boot of this host is an orphan (its process died with the boot). A
//! container from another host, or one without these labels, cannot be judged and is left to
//! its backstops (`AutoRemove`, the helper's idle lifetime).

use std::collections::HashMap;

pub const HOST_KEY: &str = "rmp.owner.host";
pub const BOOT_KEY: &str = "rmp.owner.boot";
pub const PID_KEY: &str = "rmp.owner.pid";
pub const START_KEY: &str = "rmp.owner.start";

/// The identity of a process that owns sandbox containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub host: String,
    pub boot: String,
    pub pid: u32,
    /// Start time of `pid` in clock ticks since boot.
    pub start: u64,
}

/// What a sweep may conclude about a container's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    /// Provably gone: its containers are orphans.
    Gone,
    /// Another host, or labels missing: never removed by a sweep.
    Unknown,
}

impl Owner {
    /// This process, or `None` where `/proc` does not say (then nothing is ever judged gone).
    pub fn current() -> Option<Owner> {
        let pid = std::process::id();
        Some(Owner {
            host: read_trimmed("/proc/sys/kernel/hostname")?,
            boot: read_trimmed("/proc/sys/kernel/random/boot_id")?,
            pid,
            start: process_start(pid)?,
        })
    }

    pub fn labels(&self) -> [(String, String); 4] {
        [
            (HOST_KEY.into(), self.host.clone()),
            (BOOT_KEY.into(), self.boot.clone()),
            (PID_KEY.into(), self.pid.to_string()),
            (START_KEY.into(), self.start.to_string()),
        ]
    }

    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Owner> {
        Some(Owner {
            host: labels.get(HOST_KEY)?.clone(),
            boot: labels.get(BOOT_KEY)?.clone(),
            pid: labels.get(PID_KEY)?.parse().ok()?,
            start: labels.get(START_KEY)?.parse().ok()?,
        })
    }

    /// Whether `self` still runs, judged from `here` (this process); `start_of` gives a pid's
    /// start time on this host, `None` when no such process exists.
    pub fn liveness(&self, here: &Owner, start_of: impl Fn(u32) -> Option<u64>) -> Liveness {
        if self.host != here.host {
            return Liveness::Unknown;
        }
        if self.boot != here.boot {
            return Liveness::Gone;
        }
        match start_of(self.pid) {
            Some(start) if start == self.start => Liveness::Alive,
            _ => Liveness::Gone,
        }
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The start time of `pid` on this host (field 22 of `/proc/<pid>/stat`), if it exists.
pub fn process_start(pid: u32) -> Option<u64> {
    parse_start(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Field 22 of a `stat` line. The command name (field 2) may hold spaces and parentheses, so
/// fields are counted after its last `)`.
fn parse_start(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // `rest` starts with field 3 (state); field 22 is the 20th from there.
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(host: &str, boot: &str, pid: u32, start: u64) -> Owner {
        Owner {
            host: host.into(),
            boot: boot.into(),
            pid,
            start,
        }
    }

    #[test]
    fn the_start_time_is_field_22_even_when_the_name_has_spaces_and_parentheses() {
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 987654 123456 789";
        assert_eq!(parse_start(stat), Some(987654));
        assert_eq!(parse_start("4242 (short) S 1"), None);
    }

    #[test]
    fn this_process_is_alive_by_its_own_judgement() {
        let me = Owner::current().expect("/proc describes this process");
        assert_eq!(me.liveness(&me, process_start), Liveness::Alive);
        let labels: HashMap<String, String> = me.labels().into_iter().collect();
        assert_eq!(Owner::from_labels(&labels), Some(me));
    }

    #[test]
    fn an_owner_is_gone_only_when_provably_so() {
        let here = owner("box", "boot-1", 10, 500);
        let running = |pid: u32| match pid {
            20 => Some(700),
            _ => None,
        };
        // Same host and boot: the pid and its start time decide.
        assert_eq!(
            owner("box", "boot-1", 20, 700).liveness(&here, running),
            Liveness::Alive
        );
        assert_eq!(
            owner("box", "boot-1", 20, 650).liveness(&here, running),
            Liveness::Gone,
            "a reused pid is another process"
        );
        assert_eq!(
            owner("box", "boot-1", 30, 700).liveness(&here, running),
            Liveness::Gone
        );
        // Another boot of this host: every process of it is gone.
        assert_eq!(
            owner("box", "boot-0", 20, 700).liveness(&here, running),
            Liveness::Gone
        );
        // Another host: its processes cannot be seen from here.
        assert_eq!(
            owner("elsewhere", "boot-1", 30, 700).liveness(&here, running),
            Liveness::Unknown
        );
    }

    #[test]
    fn labels_missing_or_malformed_name_no_owner() {
        let mut labels: HashMap<String, String> = owner("box", "b", 1, 2).labels().into();
        labels.insert(PID_KEY.into(), "not a pid".into());
        assert_eq!(Owner::from_labels(&labels), None);
        labels.remove(PID_KEY);
        assert_eq!(Owner::from_labels(&labels), None);
    }
}
