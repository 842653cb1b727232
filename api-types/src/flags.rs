//! Code-generation flags a submission may ask for: an allow-list, typed.
//!
//! On the wire and in fences a flag is written as rustc's `-C` option without the `-C`
//! (`panic=abort`, `opt-level=s`); anything else is refused with a message that lists what is
//! allowed. Only options that change what the compiler generates are here: nothing that names a
//! file, a linker or a plugin.

use serde::{Deserialize, Serialize};

/// One allowed `-C` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum CodegenFlag {
    /// `panic=abort` or `panic=unwind`.
    Panic(PanicStrategy),
    /// `opt-level=0|1|2|3|s|z`.
    OptLevel(OptLevel),
    /// `lto=off|thin|fat`.
    Lto(Lto),
    /// `codegen-units=N`, 1 to 256.
    CodegenUnits(u16),
    /// `target-cpu=...`, from a short list.
    TargetCpu(TargetCpu),
    /// `overflow-checks=on|off`.
    OverflowChecks(bool),
    /// `debug-assertions=on|off`.
    DebugAssertions(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PanicStrategy {
    Unwind,
    Abort,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptLevel {
    O0,
    O1,
    O2,
    O3,
    Size,
    MinSize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lto {
    Off,
    Thin,
    Fat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetCpu {
    /// The server's own CPU.
    Native,
    Generic,
    X86_64V2,
    X86_64V3,
}

/// The allowed options with their values, for error messages and menus.
pub const ALLOWED_FLAGS: &str = "panic=abort|unwind, opt-level=0|1|2|3|s|z, lto=off|thin|fat, \
codegen-units=1..256, target-cpu=native|generic|x86-64-v2|x86-64-v3, overflow-checks=on|off, \
debug-assertions=on|off";

fn on_off(value: &str) -> Option<bool> {
    match value {
        "on" | "yes" | "y" | "true" => Some(true),
        "off" | "no" | "n" | "false" => Some(false),
        _ => None,
    }
}

impl CodegenFlag {
    /// The option's name (`opt-level`), so that two values of one option can be caught.
    pub fn option(self) -> &'static str {
        match self {
            CodegenFlag::Panic(_) => "panic",
            CodegenFlag::OptLevel(_) => "opt-level",
            CodegenFlag::Lto(_) => "lto",
            CodegenFlag::CodegenUnits(_) => "codegen-units",
            CodegenFlag::TargetCpu(_) => "target-cpu",
            CodegenFlag::OverflowChecks(_) => "overflow-checks",
            CodegenFlag::DebugAssertions(_) => "debug-assertions",
        }
    }

    /// The value as rustc spells it.
    pub fn value(self) -> String {
        let on_off = |b: bool| if b { "on" } else { "off" };
        match self {
            CodegenFlag::Panic(PanicStrategy::Abort) => "abort".into(),
            CodegenFlag::Panic(PanicStrategy::Unwind) => "unwind".into(),
            CodegenFlag::OptLevel(level) => match level {
                OptLevel::O0 => "0",
                OptLevel::O1 => "1",
                OptLevel::O2 => "2",
                OptLevel::O3 => "3",
                OptLevel::Size => "s",
                OptLevel::MinSize => "z",
            }
            .into(),
            CodegenFlag::Lto(lto) => match lto {
                Lto::Off => "off",
                Lto::Thin => "thin",
                Lto::Fat => "fat",
            }
            .into(),
            CodegenFlag::CodegenUnits(n) => n.to_string(),
            CodegenFlag::TargetCpu(cpu) => match cpu {
                TargetCpu::Native => "native",
                TargetCpu::Generic => "generic",
                TargetCpu::X86_64V2 => "x86-64-v2",
                TargetCpu::X86_64V3 => "x86-64-v3",
            }
            .into(),
            CodegenFlag::OverflowChecks(b) | CodegenFlag::DebugAssertions(b) => on_off(b).into(),
        }
    }

    /// The arguments to give rustc: `-C`, `opt-level=3`.
    pub fn rustc_args(self) -> [String; 2] {
        ["-C".into(), self.to_string()]
    }

    /// Parses `name=value`, also accepting a leading `-C` or `-C ` as people copy it from rustc.
    pub fn parse(text: &str) -> Result<CodegenFlag, String> {
        let flag = text.trim();
        let flag = flag.strip_prefix("-C").map(str::trim_start).unwrap_or(flag);
        let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
        let bad_value = || {
            Err(format!(
                "`{name}={value}` is not an allowed value; allowed flags: {ALLOWED_FLAGS}"
            ))
        };
        let parsed = match name {
            "panic" => match value {
                "abort" => CodegenFlag::Panic(PanicStrategy::Abort),
                "unwind" => CodegenFlag::Panic(PanicStrategy::Unwind),
                _ => return bad_value(),
            },
            "opt-level" => CodegenFlag::OptLevel(match value {
                "0" => OptLevel::O0,
                "1" => OptLevel::O1,
                "2" => OptLevel::O2,
                "3" => OptLevel::O3,
                "s" => OptLevel::Size,
                "z" => OptLevel::MinSize,
                _ => return bad_value(),
            }),
            "lto" => CodegenFlag::Lto(match value {
                "off" | "no" | "n" | "false" => Lto::Off,
                "thin" => Lto::Thin,
                "fat" | "" | "yes" | "y" | "true" => Lto::Fat,
                _ => return bad_value(),
            }),
            "codegen-units" => match value.parse::<u16>() {
                Ok(n @ 1..=256) => CodegenFlag::CodegenUnits(n),
                _ => return bad_value(),
            },
            "target-cpu" => CodegenFlag::TargetCpu(match value {
                "native" => TargetCpu::Native,
                "generic" => TargetCpu::Generic,
                "x86-64-v2" => TargetCpu::X86_64V2,
                "x86-64-v3" => TargetCpu::X86_64V3,
                _ => return bad_value(),
            }),
            "overflow-checks" => match on_off(if value.is_empty() { "on" } else { value }) {
                Some(b) => CodegenFlag::OverflowChecks(b),
                None => return bad_value(),
            },
            "debug-assertions" => match on_off(if value.is_empty() { "on" } else { value }) {
                Some(b) => CodegenFlag::DebugAssertions(b),
                None => return bad_value(),
            },
            _ => {
                return Err(format!(
                    "`{}` is not an allowed flag; allowed flags: {ALLOWED_FLAGS}",
                    name.escape_debug()
                ));
            }
        };
        Ok(parsed)
    }
}

impl std::fmt::Display for CodegenFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.option(), self.value())
    }
}

impl std::str::FromStr for CodegenFlag {
    type Err = String;

    fn from_str(text: &str) -> Result<CodegenFlag, String> {
        CodegenFlag::parse(text)
    }
}

impl TryFrom<String> for CodegenFlag {
    type Error = String;

    fn try_from(text: String) -> Result<CodegenFlag, String> {
        CodegenFlag::parse(&text)
    }
}

impl From<CodegenFlag> for String {
    fn from(flag: CodegenFlag) -> String {
        flag.to_string()
    }
}

/// Checks that no option is given twice with different values.
pub fn check_flags(flags: &[CodegenFlag]) -> Result<(), String> {
    for (i, a) in flags.iter().enumerate() {
        if let Some(b) = flags[..i]
            .iter()
            .find(|b| b.option() == a.option() && *b != a)
        {
            return Err(format!(
                "`{b}` and `{a}` set `{}` twice; give it once",
                a.option()
            ));
        }
    }
    Ok(())
}

/// The most seeds one `-Zmiri-many-seeds` run may try: each is a whole run of the program.
pub const MAX_SEEDS: u32 = 64;

/// A Miri option a student may ask for: the allow-list. Isolation (no host files, clock or
/// environment) stays on unless asked; nothing else of Miri's many `-Z` flags is accepted.
/// Sent as `ExecuteRequest.miri_flags` and written on fences as attributes
/// (`rust,miri,-Zmiri-strict-provenance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiriFlag {
    /// `-Zmiri-strict-provenance`: integer-to-pointer casts are errors.
    StrictProvenance,
    /// `-Zmiri-seed=N`: the seed of Miri's scheduler and address choices.
    Seed(u64),
    /// `-Zmiri-many-seeds[=FROM..TO]`: run once per seed (default `0..64`), stop at the first failure.
    ManySeeds { from: u32, to: u32 },
    /// `-Zmiri-disable-isolation`: let the program read the host's clock, environment and files.
    DisableIsolation,
}

impl MiriFlag {
    /// One flag as a student writes it (`-Zmiri-seed=3`), or why it is not accepted.
    pub fn parse(text: &str) -> Result<MiriFlag, String> {
        let text = text.trim();
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (text, None),
        };
        let number = |value: &str| -> Result<u64, String> {
            value
                .parse()
                .map_err(|_| format!("`{text}`: expected a number after `=`"))
        };
        match (name, value) {
            ("-Zmiri-strict-provenance", None) => Ok(MiriFlag::StrictProvenance),
            ("-Zmiri-disable-isolation", None) => Ok(MiriFlag::DisableIsolation),
            ("-Zmiri-seed", Some(value)) => Ok(MiriFlag::Seed(number(value)?)),
            ("-Zmiri-many-seeds", None) => Ok(MiriFlag::ManySeeds {
                from: 0,
                to: MAX_SEEDS,
            }),
            ("-Zmiri-many-seeds", Some(range)) => {
                let (from, to) = range
                    .split_once("..")
                    .ok_or_else(|| format!("`{text}`: expected a range such as `0..16`"))?;
                let from = if from.is_empty() { 0 } else { number(from)? };
                let to = number(to)?;
                if to <= from {
                    return Err(format!("`{text}`: the range is empty"));
                }
                if to - from > u64::from(MAX_SEEDS) {
                    return Err(format!(
                        "`{text}`: at most {MAX_SEEDS} seeds per run (each seed is a whole run of the program)"
                    ));
                }
                let small = |n: u64| u32::try_from(n).map_err(|_| format!("`{text}`: too large"));
                Ok(MiriFlag::ManySeeds {
                    from: small(from)?,
                    to: small(to)?,
                })
            }
            _ => Err(format!(
                "`{text}` is not a Miri flag this playground accepts; use -Zmiri-strict-provenance, -Zmiri-seed=N, -Zmiri-many-seeds[=FROM..TO] or -Zmiri-disable-isolation"
            )),
        }
    }

    /// Flags separated by spaces (as in `MIRIFLAGS`); at most one seed choice.
    pub fn parse_list(text: &str) -> Result<Vec<MiriFlag>, String> {
        let flags: Vec<MiriFlag> = text
            .split_whitespace()
            .map(MiriFlag::parse)
            .collect::<Result<_, _>>()?;
        let seeds = flags
            .iter()
            .filter(|f| matches!(f, MiriFlag::Seed(_) | MiriFlag::ManySeeds { .. }))
            .count();
        if seeds > 1 {
            return Err("use either -Zmiri-seed or -Zmiri-many-seeds, once".into());
        }
        Ok(flags)
    }

    /// The flag as Miri reads it.
    pub fn arg(self) -> String {
        match self {
            MiriFlag::StrictProvenance => "-Zmiri-strict-provenance".into(),
            MiriFlag::Seed(seed) => format!("-Zmiri-seed={seed}"),
            MiriFlag::ManySeeds { from, to } => format!("-Zmiri-many-seeds={from}..{to}"),
            MiriFlag::DisableIsolation => "-Zmiri-disable-isolation".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_flags_round_trip_through_their_text() {
        for text in [
            "panic=abort",
            "panic=unwind",
            "opt-level=0",
            "opt-level=3",
            "opt-level=s",
            "opt-level=z",
            "lto=fat",
            "lto=thin",
            "lto=off",
            "codegen-units=1",
            "codegen-units=256",
            "target-cpu=native",
            "target-cpu=x86-64-v3",
            "overflow-checks=on",
            "overflow-checks=off",
            "debug-assertions=off",
        ] {
            let flag = CodegenFlag::parse(text).unwrap();
            assert_eq!(flag.to_string(), text);
            assert_eq!(flag.rustc_args(), ["-C".to_owned(), text.to_owned()]);
        }
        assert_eq!(
            CodegenFlag::parse("-C opt-level=2").unwrap(),
            CodegenFlag::OptLevel(OptLevel::O2)
        );
        assert_eq!(
            CodegenFlag::parse("-Clto").unwrap(),
            CodegenFlag::Lto(Lto::Fat)
        );
    }

    #[test]
    fn anything_off_the_list_is_refused_by_name() {
        for (text, words) in [
            ("linker=/bin/sh", "`linker` is not an allowed flag"),
            ("link-arg=-Wl,--wrap", "`link-arg` is not an allowed flag"),
            ("opt-level=4", "`opt-level=4` is not an allowed value"),
            ("codegen-units=0", "not an allowed value"),
            ("codegen-units=9999", "not an allowed value"),
            ("target-cpu=skylake", "not an allowed value"),
            ("", "not an allowed flag"),
        ] {
            let error = CodegenFlag::parse(text).unwrap_err();
            assert!(error.contains(words), "{text}: {error}");
            assert!(error.contains("allowed flags: panic=abort"), "{error}");
        }
    }

    #[test]
    fn one_option_twice_is_a_conflict() {
        let flags = [
            CodegenFlag::OptLevel(OptLevel::O1),
            CodegenFlag::Panic(PanicStrategy::Abort),
            CodegenFlag::OptLevel(OptLevel::O3),
        ];
        assert!(
            check_flags(&flags)
                .unwrap_err()
                .contains("`opt-level=1` and `opt-level=3`")
        );
        assert_eq!(check_flags(&flags[..2]), Ok(()));
    }
}
