//! `createRouteMatcher` for Rust: route patterns as `@clerk/nextjs` reads
//! them (path-to-regexp syntax): `/articles(.*)` (a regex group), `/api/:id`
//! (a named segment), `:id?` (optional), matched against the whole path,
//! case-insensitively, with an optional trailing slash.

use regex::{Regex, RegexSet};

/// A set of route patterns.
#[derive(Debug, Clone)]
pub struct RouteMatcher {
    set: RegexSet,
}

/// Why a pattern could not be used.
#[derive(Debug, thiserror::Error)]
#[error("route pattern `{pattern}`: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

/// One pattern as a regular expression.
fn translate(pattern: &str) -> Result<String, PatternError> {
    let err = |reason: &str| PatternError {
        pattern: pattern.to_owned(),
        reason: reason.to_owned(),
    };
    if !pattern.starts_with('/') {
        return Err(err("must start with `/`"));
    }
    let mut out = String::from("(?i)^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            ':' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                    end += 1;
                }
                if end == start {
                    return Err(err("`:` must be followed by a parameter name"));
                }
                // `/:id?` makes the slash optional too, as path-to-regexp does.
                if matches!(chars.get(end), Some('?' | '*')) && out.ends_with('/') {
                    out.pop();
                    out.push_str("(?:/([^/#?]+?))");
                } else {
                    out.push_str("([^/#?]+?)");
                }
                i = end;
            }
            '(' => {
                // A group is a regular expression up to its matching `)`.
                let mut depth = 0;
                let start = i;
                loop {
                    match chars.get(i) {
                        Some('(') => depth += 1,
                        Some(')') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Some('\\') => i += 1,
                        Some(_) => {}
                        None => return Err(err("unbalanced `(`")),
                    }
                    i += 1;
                }
                let inner: String = chars[start + 1..i].iter().collect();
                out.push_str(&format!("(?:{inner})"));
                i += 1;
            }
            '?' | '*' | '+'
                if i > 0 && matches!(chars[i - 1], ')' | ':') || ends_param(&chars, i) =>
            {
                out.push(chars[i]);
                i += 1;
            }
            c => {
                out.push_str(&regex::escape(&c.to_string()));
                i += 1;
            }
        }
    }
    out.push_str("/?$");
    Regex::new(&out).map_err(|e| err(&e.to_string()))?;
    Ok(out)
}

/// Whether the character before `i` ends a `:name` parameter.
fn ends_param(chars: &[char], i: usize) -> bool {
    let mut j = i;
    while j > 0 && (chars[j - 1].is_alphanumeric() || chars[j - 1] == '_') {
        j -= 1;
    }
    j > 0 && j < i && chars[j - 1] == ':'
}

impl RouteMatcher {
    pub fn new<I, S>(patterns: I) -> Result<Self, PatternError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let regexes = patterns
            .into_iter()
            .map(|p| translate(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let set = RegexSet::new(&regexes).map_err(|e| PatternError {
            pattern: regexes.join(" "),
            reason: e.to_string(),
        })?;
        Ok(Self { set })
    }

    /// Whether `path` (no query string) matches any pattern.
    pub fn matches(&self, path: &str) -> bool {
        self.set.is_match(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clerk_patterns() {
        let m = RouteMatcher::new(["/", "/articles(.*)", "/about", "/api/:id", "/sign-in(.*)"])
            .expect("patterns");
        for yes in [
            "/",
            "/articles",
            "/articles/",
            "/articles/rust/2024",
            "/About",
            "/about/",
            "/api/42",
            "/sign-in/factor-one",
        ] {
            assert!(m.matches(yes), "{yes}");
        }
        for no in [
            "/dashboard",
            "/api/42/more",
            "/api/",
            "/aboutx",
            "/pro",
            "/x/articles",
        ] {
            assert!(!m.matches(no), "{no}");
        }
        let optional = RouteMatcher::new(["/users/:id?"]).expect("optional");
        assert!(optional.matches("/users") && optional.matches("/users/7"));
        assert!(RouteMatcher::new(["articles"]).is_err());
        assert!(RouteMatcher::new(["/a(b"]).is_err());
        // Dots and other regex characters outside groups are literal.
        let dot = RouteMatcher::new(["/file.txt"]).expect("dot");
        assert!(dot.matches("/file.txt") && !dot.matches("/fileXtxt"));
    }
}
