//! Simulated time: integer nanoseconds since the start of a run.
//!
//! Modelled: instants ([`SimTime`]) and spans ([`Span`]) as `u64` nanoseconds, and the duration
//! syntax scenario files use (`"30s"`, `"1.5ms"`, `"250us"`, `"2m"`, or a bare integer of seconds,
//! as Terraform writes `interval = 30`). Not modelled: wall-clock time; nothing in the simulator
//! reads a clock except the throughput line of the command-line tool.

use std::fmt;

/// Nanoseconds per unit, for the suffixes the duration syntax accepts.
const UNITS: [(&str, u64); 6] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// An instant of simulated time, in nanoseconds since the run started.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);

    /// This instant moved later by `span` (saturating: simulated time never wraps).
    pub fn after(self, span: Span) -> SimTime {
        SimTime(self.0.saturating_add(span.0))
    }

    /// The span from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }
}

impl Span {
    /// A span of whole seconds.
    pub const fn from_secs(secs: u64) -> Span {
        Span(secs * 1_000_000_000)
    }

    /// A span of whole microseconds.
    pub const fn from_micros(us: u64) -> Span {
        Span(us * 1_000)
    }

    /// A span of whole milliseconds.
    pub const fn from_millis(ms: u64) -> Span {
        Span(ms * 1_000_000)
    }

    /// The span in nanoseconds.
    pub fn as_nanos(self) -> u64 {
        self.0
    }

    /// The span in seconds, as a float (for display and statistics only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Sum of two spans (saturating).
    pub fn plus(self, other: Span) -> Span {
        Span(self.0.saturating_add(other.0))
    }

    /// The span repeated `n` times (saturating).
    pub fn times(self, n: u64) -> Span {
        Span(self.0.saturating_mul(n))
    }

    /// Parses the duration syntax of scenario files: a decimal number followed by one of
    /// `ns`, `us`, `ms`, `s`, `m`, `h` (`"30s"`, `"1.5ms"`). The result must be a whole number of
    /// nanoseconds.
    pub fn parse(text: &str) -> Result<Span, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| {
                format!("`{text}` has no unit: write it as \"30s\", \"250ms\" or \"50us\"")
            })?;
        let (number, unit) = text.split_at(split);
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| {
                format!("`{unit}` is not a unit of time: use one of ns, us, ms, s, m, h")
            })?;
        let (whole, frac) = match number.split_once('.') {
            Some((w, f)) => (w, f),
            None => (number, ""),
        };
        if whole.is_empty() && frac.is_empty() || frac.contains('.') {
            return Err(format!("`{text}` is not a number followed by a unit"));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| format!("`{text}` is out of range"))?
        };
        let mut nanos = whole
            .checked_mul(scale)
            .ok_or_else(|| format!("`{text}` is out of range"))?;
        let mut place = scale;
        for digit in frac.bytes() {
            if place % 10 != 0 {
                return Err(format!("`{text}` is finer than one nanosecond"));
            }
            place /= 10;
            nanos = nanos
                .checked_add(u64::from(digit - b'0') * place)
                .ok_or_else(|| format!("`{text}` is out of range"))?;
        }
        Ok(Span(nanos))
    }
}

impl fmt::Display for Span {
    /// The shortest exact rendering in the largest unit that keeps three significant digits
    /// readable: `30s`, `1.5ms`, `250us`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return f.write_str("0s");
        }
        let (name, scale) = UNITS[..4]
            .iter()
            .rev()
            .find(|(_, scale)| ns >= *scale)
            .copied()
            .unwrap_or(("ns", 1));
        let whole = ns / scale;
        let mut frac = ns % scale;
        if frac == 0 {
            return write!(f, "{whole}{name}");
        }
        let mut digits = String::new();
        let mut place = scale;
        while frac > 0 && place > 1 {
            place /= 10;
            digits.push(char::from(b'0' + (frac / place) as u8));
            frac %= place;
        }
        write!(f, "{whole}.{digits}{name}")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", Span(self.0))
    }
}

/// Simulated time runs on 64-bit nanoseconds: 584 years. Arrivals use at most 2^64 - 2^62 of
/// them, the rest is left for the flows' own paths (latencies, response times, timeouts).
const ARRIVALS_ROOM_NS: f64 = 13_835_058_055_282_163_712.0;

/// What arrivals leave for a flow's own path (2^62 ns, about 146 years): the longest path a
/// scenario's latencies, response times and connect timeout allow must fit in it, so that no
/// flow's time saturates the clock.
pub const PATH_ROOM: Span = Span(1 << 62);

/// A bound on the arrival time of the last of `flows` flows at `rate` per second, in
/// nanoseconds: `mean * (flows + 10 sqrt(flows) + 45)` (ten standard deviations of the sum of
/// exponentials, and the largest single gap the sampler can draw is under 45 means).
pub fn arrivals_bound_ns(flows: u64, rate: f64) -> f64 {
    let n = flows as f64;
    1e9 / rate * (n + 10.0 * n.sqrt() + 45.0)
}

/// `Err(years)` when `flows` arrivals at `rate` per second might not fit in simulated time
/// ([`arrivals_bound_ns`]). `years` is the expected duration.
pub fn arrivals_fit(flows: u64, rate: f64) -> Result<(), f64> {
    if arrivals_bound_ns(flows, rate) < ARRIVALS_ROOM_NS {
        Ok(())
    } else {
        Err(1e9 / rate * flows as f64 / 1e9 / (365.25 * 86_400.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_units_people_write() {
        assert_eq!(Span::parse("30s"), Ok(Span::from_secs(30)));
        assert_eq!(Span::parse("1.5ms"), Ok(Span(1_500_000)));
        assert_eq!(Span::parse("250us"), Ok(Span::from_micros(250)));
        assert_eq!(Span::parse("2m"), Ok(Span::from_secs(120)));
        assert_eq!(Span::parse("1h"), Ok(Span::from_secs(3600)));
        assert_eq!(Span::parse(".5s"), Ok(Span::from_millis(500)));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        assert!(Span::parse("30").unwrap_err().contains("no unit"));
        assert!(Span::parse("30 parsecs").is_err());
        assert!(Span::parse("1.5ns").unwrap_err().contains("finer"));
        assert!(Span::parse("s").is_err());
        assert!(Span::parse("1.2.3s").is_err());
        assert!(Span::parse("99999999999999999999h").is_err());
    }

    #[test]
    fn displays_exactly_and_round_trips() {
        for text in ["30s", "1.5ms", "250us", "0s", "7ns", "1.000001s"] {
            let span = Span::parse(text).unwrap();
            assert_eq!(span.to_string(), text);
        }
    }
}
