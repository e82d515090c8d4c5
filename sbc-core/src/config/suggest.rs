//! "Did you mean" for unknown keys: the known key closest in spelling to a typo.
//!
//! Unknown keys are errors, and most are typos (`tiemr_c_secs`, `adress`); naming the
//! intended key saves the operator a trip to the docs.

/// The known key a typo most likely meant: within edit distance 2 (1 for short keys).
pub(crate) fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let key = key.to_ascii_lowercase();
    let len = key.chars().count();
    if len > 64 {
        return None; // no schema key is that long; don't spend time on garbage
    }
    let limit = if len <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (edit_distance(&key, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, counting an adjacent transposition as one edit
/// (`tiemr` -> `timer`), since that is the commonest typo.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    // d[i * w + j]: distance between a[..i] and b[..j]. Every index below is bounded
    // by the loop ranges (i <= a.len(), j <= b.len()), so none can be out of range.
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = best;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("timer", "timer"), 0);
        assert_eq!(edit_distance("tiemr", "timer"), 1);
        assert_eq!(edit_distance("adress", "address"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
    }

    #[test]
    fn closest_suggests_only_near_misses() {
        let known = ["name", "address", "transport", "accept_from"];
        assert_eq!(closest("adress", &known), Some("address"));
        assert_eq!(closest("Name", &known), Some("name"));
        assert_eq!(closest("weight", &known), None);
        assert_eq!(closest("nam", &known), Some("name"));
        assert_eq!(closest("xy", &["ab"]), None);
    }
}
