//! Where a login lands: a `next` target must be a plain path inside the portal, or
//! under one of the host's own prefixes it allowed (its pages behind a login).
//! Anything else (another host, a scheme, `//evil.com`, `\evil.com`, dot segments,
//! encoded tricks, control characters) is ignored, never followed.

/// The longest `next` accepted.
const MAX_NEXT: usize = 512;

/// `next` if it is a safe path under `mount_path` (e.g. `/portal`), else `None`.
#[must_use]
pub fn safe_next(next: &str, mount_path: &str) -> Option<String> {
    safe_next_under(next, [mount_path])
}

/// `next` if it is a safe path under one of `prefixes` (each a mount path such as
/// `/portal` or `/dashboard`, matched by whole segments), else `None`.
#[must_use]
pub fn safe_next_under<'a>(
    next: &str,
    prefixes: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    if next.is_empty() || next.len() > MAX_NEXT {
        return None;
    }
    let under_mount = prefixes.into_iter().any(|prefix| {
        next == prefix
            || next
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
    });
    let path = next.split(['?', '#']).next().unwrap_or("");
    let lower = next.to_ascii_lowercase();
    let clean = next.starts_with('/')
        && !next.starts_with("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !path.contains("//")
        && !path.split('/').any(|seg| seg == "." || seg == "..")
        // Percent-encoded dots, slashes and backslashes could become the above once a
        // server or browser decodes them.
        && !["%2e", "%2f", "%5c", "%00", "%0d", "%0a", "%09"]
            .iter()
            .any(|enc| lower.contains(enc));
    (under_mount && clean).then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_the_portal_are_kept() {
        for ok in [
            "/portal",
            "/portal/",
            "/portal/tasks/1?tab=open",
            "/portal?x=1",
        ] {
            assert_eq!(safe_next(ok, "/portal").as_deref(), Some(ok), "{ok}");
        }
    }

    #[test]
    fn everything_else_is_ignored() {
        for bad in [
            "",
            "https://evil.com/portal",
            "//evil.com/portal",
            "/\\evil.com",
            "\\\\evil.com",
            "/portal/../admin",
            "/portal/./x/../../admin",
            "/portal/%2e%2e/admin",
            "/portal/%2F%2Fevil.com",
            "/portalx",
            "/admin",
            "javascript:alert(1)",
            "/portal/\r\nSet-Cookie: x=y",
            "/portal//evil.com",
            "/portal/ spaced",
            "portal/x",
            // Browsers read `\` as `/` in a URL's path: these are `/admin` and a
            // network-path reference to evil.com once followed.
            "/portal/..\\admin",
            "/portal/\\evil.com",
            "/portal/%5c..%5cadmin",
            "/portal/%00",
            "/portal/x%0d%0aSet-Cookie:%20x=y",
            "/portal/%09",
        ] {
            assert_eq!(safe_next(bad, "/portal"), None, "{bad:?}");
        }
        // The longest target kept is 512 bytes.
        let longest = format!("/portal/{}", "a".repeat(MAX_NEXT - "/portal/".len()));
        assert_eq!(safe_next(&longest, "/portal"), Some(longest.clone()));
        assert_eq!(safe_next(&format!("{longest}a"), "/portal"), None);
    }

    #[test]
    fn a_host_prefix_admits_its_pages_by_whole_segments_and_the_same_checks() {
        let allowed = ["/portal", "/dashboard"];
        for ok in ["/dashboard", "/dashboard/reports?y=2026", "/portal/x"] {
            assert_eq!(safe_next_under(ok, allowed).as_deref(), Some(ok), "{ok}");
        }
        for bad in [
            "/dashboardx",
            "/admin",
            "/dashboard/../admin",
            "/dashboard//evil.com",
            "/dashboard/%2e%2e/admin",
        ] {
            assert_eq!(safe_next_under(bad, allowed), None, "{bad:?}");
        }
    }
}
