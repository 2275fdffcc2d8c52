//! Fractional-indexing position keys.
//!
//! A key is a base-62 fraction `0.d1d2…dn` written as its digits `d1…dn`
//! over the alphabet `0-9A-Za-z`. The alphabet is in ASCII order, so plain
//! byte-wise string comparison orders keys exactly like the fractions they
//! stand for. A key is never empty and never ends in `0` (that would be the
//! same fraction as the shorter key, and it would leave no room before it),
//! so between any two distinct keys there is always another one.
//!
//! Moving a card writes a single key for that card; no other card is
//! renumbered. Ties cannot arise from [`between`] itself, but consumers
//! order by `(position, id)` so the order stays total even for keys written
//! by someone else.
//!
//! The bounded case is a port of the midpoint algorithm of rocicorp's
//! `fractional-indexing`. The open-ended cases (append at the end, insert at
//! the start) take a small step instead of halving the remaining gap, so a
//! column that only ever grows at one end gains one character per ~61
//! inserts instead of one per ~6.

/// The digits, in ascending order (also ASCII order).
const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The number of digits.
const BASE: usize = DIGITS.len();

/// The key [`between`] returns for an empty list: the middle digit.
pub const FIRST: &str = "V";

/// The value of a digit, or `None` for a byte outside the alphabet.
fn digit_value(byte: u8) -> Option<usize> {
    match byte {
        b'0'..=b'9' => Some(usize::from(byte - b'0')),
        b'A'..=b'Z' => Some(usize::from(byte - b'A') + 10),
        b'a'..=b'z' => Some(usize::from(byte - b'a') + 36),
        _ => None,
    }
}

/// The digit for a value; values past the alphabet clamp to `z`, which
/// callers never reach (kept total so this module cannot panic).
fn digit(value: usize) -> u8 {
    DIGITS[value.min(BASE - 1)]
}

/// Whether `key` is a well-formed position: non-empty, only `0-9A-Za-z`,
/// not ending in `0`.
pub fn is_valid(key: &str) -> bool {
    !key.is_empty() && !key.ends_with('0') && key.bytes().all(|byte| digit_value(byte).is_some())
}

/// A key strictly between `before` and `after`; `None` is an open end.
///
/// With both ends open the result is [`FIRST`]. An end that is not a
/// [valid](is_valid) key is treated as open, and `after` is ignored when it
/// is not greater than `before`: the result is then still a valid key
/// greater than `before`. Those cases only arise from a corrupted log; the
/// function never panics.
pub fn between(before: Option<&str>, after: Option<&str>) -> String {
    let before = before.filter(|key| is_valid(key));
    let after = after
        .filter(|key| is_valid(key))
        .filter(|key| before.is_none_or(|low| low < *key));
    let bytes = match (before, after) {
        (None, None) => FIRST.as_bytes().to_vec(),
        (Some(low), None) => step_up(low.as_bytes()),
        (None, Some(high)) => step_down(high.as_bytes()),
        (Some(low), Some(high)) => midpoint(low.as_bytes(), high.as_bytes()),
    };
    // Every byte comes from DIGITS, so this is always valid UTF-8.
    bytes.into_iter().map(char::from).collect()
}

/// The shortest key greater than `low`: bump the first digit that is not
/// `z`, or extend an all-`z` key with `1`.
fn step_up(low: &[u8]) -> Vec<u8> {
    match low.iter().position(|&byte| byte != b'z') {
        Some(i) => {
            let mut key = low[..i].to_vec();
            key.push(digit(digit_value(low[i]).unwrap_or(0) + 1));
            key
        }
        None => {
            let mut key = low.to_vec();
            key.push(b'1');
            key
        }
    }
}

/// A short key just below `high`: lower the first non-zero digit, or, when
/// it is a final `1`, replace it with `0z`.
fn step_down(high: &[u8]) -> Vec<u8> {
    let Some(i) = high.iter().position(|&byte| byte != b'0') else {
        // Unreachable for a valid key (it would be all zeros).
        return FIRST.as_bytes().to_vec();
    };
    let value = digit_value(high[i]).unwrap_or(1);
    let mut key = high[..i].to_vec();
    if value > 1 {
        key.push(digit(value - 1));
    } else if high.len() > i + 1 {
        // `…1` is a proper prefix of `…1x`, hence smaller.
        key.push(high[i]);
    } else {
        key.extend_from_slice(b"0z");
    }
    key
}

/// rocicorp's midpoint: a key strictly between `low < high`.
fn midpoint(low: &[u8], high: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(low.len().max(high.len()) + 1);
    let mut low = low;
    let mut high = Some(high);
    loop {
        if let Some(upper) = high {
            // Drop the common prefix, reading `low` as padded with zeros.
            // `high` cannot end inside it because `low < high`.
            let common = upper
                .iter()
                .enumerate()
                .take_while(|&(i, &byte)| low.get(i).copied().unwrap_or(b'0') == byte)
                .count();
            out.extend_from_slice(&upper[..common]);
            low = low.get(common..).unwrap_or_default();
            let rest = &upper[common..];
            high = if rest.is_empty() { None } else { Some(rest) };
        }
        let low_digit = low.first().and_then(|&byte| digit_value(byte)).unwrap_or(0);
        let high_digit = high
            .and_then(|upper| upper.first())
            .and_then(|&byte| digit_value(byte))
            .unwrap_or(BASE);
        if high_digit > low_digit + 1 {
            out.push(digit((low_digit + high_digit).div_ceil(2)));
            return out;
        }
        // Consecutive first digits.
        if let Some(upper) = high.filter(|upper| upper.len() > 1) {
            // `high` truncated to its first digit is still above `low`.
            out.push(upper[0]);
            return out;
        }
        // `high` is open or a single digit: keep `low`'s first digit and
        // find a key above the rest of `low`.
        out.push(digit(low_digit));
        low = low.get(1..).unwrap_or_default();
        high = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        "[0-9A-Za-z]{0,6}[1-9A-Za-z]"
    }

    fn assert_between(low: Option<&str>, high: Option<&str>) -> String {
        let mid = between(low, high);
        assert!(is_valid(&mid), "{mid:?} is not valid ({low:?}, {high:?})");
        if let Some(low) = low {
            assert!(low < mid.as_str(), "{low:?} < {mid:?}");
        }
        if let Some(high) = high {
            assert!(mid.as_str() < high, "{mid:?} < {high:?}");
        }
        mid
    }

    #[test]
    fn validity() {
        assert!(is_valid("V"));
        assert!(is_valid("0z"));
        assert!(is_valid("a1"));
        assert!(!is_valid(""));
        assert!(!is_valid("a0"));
        assert!(!is_valid("0"));
        assert!(!is_valid("a-b"));
        assert!(!is_valid("é"));
    }

    #[test]
    fn known_values() {
        assert_eq!(between(None, None), "V");
        assert_eq!(between(Some("V"), None), "W");
        assert_eq!(between(Some("z"), None), "z1");
        assert_eq!(between(None, Some("V")), "U");
        assert_eq!(between(None, Some("1")), "0z");
        assert_eq!(between(None, Some("1V")), "1");
        assert_eq!(between(Some("V"), Some("W")), "VV");
        assert_eq!(between(Some("1"), Some("3")), "2");
        assert_eq!(between(Some("49"), Some("5")), "4a");
        assert_eq!(between(Some("4z"), Some("5")), "4zV");
        assert_eq!(between(Some("A"), Some("A1")), "A0V");
    }

    #[test]
    fn bad_bounds_never_panic() {
        assert!(is_valid(&between(Some("a0"), None)));
        assert!(is_valid(&between(Some(""), Some("!"))));
        let out_of_order = between(Some("b"), Some("a"));
        assert!(is_valid(&out_of_order) && out_of_order.as_str() > "b");
        let equal = between(Some("b"), Some("b"));
        assert!(is_valid(&equal) && equal.as_str() > "b");
    }

    #[test]
    fn appending_and_prepending_keep_keys_short() {
        let mut last = between(None, None);
        for _ in 0..10_000 {
            last = assert_between(Some(&last), None);
        }
        assert!(last.len() <= 10_000 / 61 + 2, "{} chars", last.len());
        let mut first = between(None, None);
        for _ in 0..10_000 {
            first = assert_between(None, Some(&first));
        }
        assert!(first.len() <= 10_000 / 61 + 2, "{} chars", first.len());
    }

    #[test]
    fn inserting_at_the_same_spot_keeps_working() {
        // Always right after the first key, and always right before the last.
        let low = between(None, None);
        let high = between(Some(&low), None);
        let mut next = high.clone();
        let mut prev = low.clone();
        for _ in 0..1_000 {
            next = assert_between(Some(&low), Some(&next));
            prev = assert_between(Some(&prev), Some(&high));
        }
        assert!(next.len() < 400 && prev.len() < 400);
    }

    proptest! {
        #[test]
        fn result_is_strictly_between(a in key(), b in key()) {
            prop_assume!(a != b);
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            assert_between(Some(&low), Some(&high));
            assert_between(Some(&low), None);
            assert_between(None, Some(&high));
        }

        #[test]
        fn random_inserts_keep_a_strict_order(spots in prop::collection::vec(any::<prop::sample::Index>(), 1..300)) {
            let mut keys: Vec<String> = Vec::new();
            for spot in spots {
                let at = spot.index(keys.len() + 1);
                let low = at.checked_sub(1).map(|i| keys[i].as_str());
                let high = keys.get(at).map(String::as_str);
                let key = assert_between(low, high);
                keys.insert(at, key);
            }
            prop_assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
        }

        #[test]
        fn repeated_inserts_at_one_spot(start in key(), count in 1usize..200, after in any::<bool>()) {
            // Keep inserting right after `start` (or right before it).
            let anchor = start.as_str();
            let mut neighbour = if after { between(Some(anchor), None) } else { between(None, Some(anchor)) };
            for _ in 0..count {
                neighbour = if after {
                    assert_between(Some(anchor), Some(&neighbour))
                } else {
                    assert_between(Some(&neighbour), Some(anchor))
                };
            }
        }
    }
}
