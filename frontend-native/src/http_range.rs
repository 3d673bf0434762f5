//! Parsing of an HTTP `Range` header (RFC 9110 §14) for one byte range, with 64-bit
//! offsets so images larger than 2 GB (and 4 GB) are served correctly.
//!
//! Owns parsing only; multi-range requests are answered with the whole file.

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range: send the whole file (200).
    Whole,
    /// Bytes `start..=end` (206).
    Part { start: u64, end: u64 },
    /// Outside the file (416).
    Unsatisfiable,
}

/// Interprets `header` (the value of `Range`, if any) for a file of `len` bytes.
pub fn parse(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (false, _) => {
            let Ok(start) = a.parse::<u64>() else {
                return RangeRequest::Whole;
            };
            let end = if b.is_empty() {
                Ok(len.saturating_sub(1))
            } else {
                b.parse::<u64>().map(|e| e.min(len.saturating_sub(1)))
            };
            match end {
                Ok(end) if start < len && start <= end => Some((start, end)),
                Ok(_) => None,
                Err(_) => return RangeRequest::Whole,
            }
        }
        (true, false) => {
            let Ok(suffix) = b.parse::<u64>() else {
                return RangeRequest::Whole;
            };
            (suffix > 0 && len > 0).then(|| (len - suffix.min(len), len - 1))
        }
        (true, true) => return RangeRequest::Whole,
    };
    match parsed {
        Some((start, end)) => RangeRequest::Part { start, end },
        None => RangeRequest::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::*;

    #[test]
    fn ranges() {
        assert_eq!(parse(None, 10), Whole);
        assert_eq!(parse(Some("bytes=0-3"), 10), Part { start: 0, end: 3 });
        assert_eq!(parse(Some("bytes=5-"), 10), Part { start: 5, end: 9 });
        assert_eq!(parse(Some("bytes=-4"), 10), Part { start: 6, end: 9 });
        assert_eq!(parse(Some("bytes=8-100"), 10), Part { start: 8, end: 9 });
        assert_eq!(parse(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-1,4-5"), 10), Whole);
        assert_eq!(parse(Some("items=0-1"), 10), Whole);
        let big = 6u64 << 30;
        assert_eq!(
            parse(Some("bytes=4294967296-4294967299"), big),
            Part {
                start: 1 << 32,
                end: (1 << 32) + 3
            }
        );
    }
}
