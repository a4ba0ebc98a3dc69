//! Glob-style pattern matching with Redis's rules (`*`, `?`, `[a-z]`,
//! `[^x]`, `\` escapes), on bytes, optionally case-insensitive. Used by KEYS,
//! SCAN MATCH, CONFIG GET and pub/sub patterns.

/// Returns true if `s` matches `pattern`.
pub fn matches(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    // Iterative with one backtrack point for the last `*`: linear in practice
    // and no recursion, so hostile patterns cannot blow the stack.
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    while i < s.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                        p += 1;
                    }
                    if p + 1 == pattern.len() {
                        return true;
                    }
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class(pattern, p, s[i], nocase) {
                        if matched {
                            p = next;
                            i += 1;
                            continue;
                        }
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if eq(pattern[p + 1], s[i]) {
                        p += 2;
                        i += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, s[i]) {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch: backtrack to the last star, letting it eat one more byte.
        match star {
            Some((sp, si)) => {
                star = Some((sp, si + 1));
                p = sp + 1;
                i = si + 1;
            }
            None => return false,
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// Matches byte `c` against the class starting at `pattern[start] == '['`.
/// Returns (matched, index after the class). An unterminated class extends
/// to the end of the pattern, as in Redis.
fn class(pattern: &[u8], start: usize, c: u8, nocase: bool) -> Option<(bool, usize)> {
    let mut p = start + 1;
    let not = p < pattern.len() && pattern[p] == b'^';
    if not {
        p += 1;
    }
    let mut matched = false;
    let lc = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    loop {
        if p >= pattern.len() {
            // Unterminated: Redis treats the end of the pattern as the end of
            // the class and steps back one so the outer loop sees the end.
            break;
        }
        match pattern[p] {
            b'\\' if p + 1 < pattern.len() => {
                p += 1;
                if pattern[p] == c {
                    matched = true;
                }
            }
            b']' => break,
            _ if p + 2 < pattern.len() && pattern[p + 1] == b'-' => {
                let (mut a, mut b) = (lc(pattern[p]), lc(pattern[p + 2]));
                if a > b {
                    std::mem::swap(&mut a, &mut b);
                }
                let x = lc(c);
                if x >= a && x <= b {
                    matched = true;
                }
                p += 2;
            }
            b => {
                if lc(b) == lc(c) {
                    matched = true;
                }
            }
        }
        p += 1;
    }
    let next = if p >= pattern.len() {
        pattern.len()
    } else {
        p + 1
    };
    Some((matched != not, next))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn basics() {
        assert!(matches(b"*", b"anything", false));
        assert!(matches(b"h?llo", b"hello", false));
        assert!(matches(b"h*llo", b"heeeello", false));
        assert!(matches(b"h[ae]llo", b"hallo", false));
        assert!(!matches(b"h[ae]llo", b"hillo", false));
        assert!(matches(b"h[^e]llo", b"hallo", false));
        assert!(!matches(b"h[^e]llo", b"hello", false));
        assert!(matches(b"h[a-b]llo", b"hbllo", false));
        assert!(matches(b"h[b-a]llo", b"hallo", false));
        assert!(matches(b"h\\*llo", b"h*llo", false));
        assert!(!matches(b"h\\*llo", b"hxllo", false));
        assert!(matches(b"KEY*", b"key:1", true));
        assert!(!matches(b"KEY*", b"key:1", false));
        assert!(matches(b"a*b*c", b"axxbyyc", false));
        assert!(!matches(b"a*b*c", b"axxbyy", false));
        assert!(matches(b"", b"", false));
        assert!(!matches(b"", b"a", false));
        assert!(matches(b"a**", b"a", false));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let s = vec![b'a'; 10_000];
        let mut p = b"*a".repeat(50);
        p.push(b'b');
        assert!(!matches(&p, &s, false));
    }
}
