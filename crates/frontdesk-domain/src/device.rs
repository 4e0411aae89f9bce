//! What a user agent says about the device behind a session: the browser,
//! the operating system and whether it is a phone or tablet.
//!
//! Clerk's `SessionActivity` has no member for the operating system; its
//! `device_type` names the device the way people recognise it in an active
//! devices list ("Macintosh", "Windows", "iPhone", "Android"), which is the
//! operating system on desktops and the device family on phones. Frontdesk
//! fills it the same way, so `<UserProfile/>` shows what Clerk's would.
//!
//! A table of markers rather than a full user-agent database: browsers have
//! frozen most of their user-agent string (Chrome's reduced UA), and what is
//! left is exactly these markers. Order matters: Edge and Opera also say
//! "Chrome", Chrome also says "Safari", Android also says "Linux".

/// The device, browser and form factor read from a `User-Agent`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    /// The device or operating system, in Clerk's words.
    pub device_type: Option<String>,
    /// A phone or tablet.
    pub is_mobile: bool,
}

/// Browsers, most specific marker first.
const BROWSERS: &[(&str, &str)] = &[
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("HeadlessChrome/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Version/", "Safari"),
];

/// Devices and operating systems, most specific marker first: the name
/// shown, and whether it is a phone or tablet.
const DEVICES: &[(&str, &str, bool)] = &[
    ("iPhone", "iPhone", true),
    ("iPad", "iPad", true),
    ("Android", "Android", true),
    ("CrOS", "Chrome OS", false),
    ("Windows", "Windows", false),
    ("Macintosh", "Macintosh", false),
    ("Linux", "Linux", false),
];

impl Device {
    /// Read a `User-Agent` header. Unknown parts stay `None`; nothing here
    /// fails, since the header is the caller's to write.
    pub fn from_user_agent(ua: &str) -> Self {
        let (browser_name, browser_version) = BROWSERS
            .iter()
            .find_map(|(marker, name)| {
                let rest = ua.split(marker).nth(1)?;
                let version: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                Some((
                    Some((*name).to_owned()),
                    Some(version).filter(|v| !v.is_empty()),
                ))
            })
            .unwrap_or((None, None));
        let device = DEVICES.iter().find(|(marker, _, _)| ua.contains(marker));
        Device {
            browser_name,
            browser_version,
            device_type: device.map(|(_, name, _)| (*name).to_owned()),
            // "Mobile" alone: a phone browser on an unlisted system.
            is_mobile: device.is_some_and(|(_, _, mobile)| *mobile) || ua.contains("Mobile"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(ua: &str) -> (String, String, String, bool) {
        let d = Device::from_user_agent(ua);
        (
            d.browser_name.unwrap_or_default(),
            d.browser_version.unwrap_or_default(),
            d.device_type.unwrap_or_default(),
            d.is_mobile,
        )
    }

    #[test]
    fn desktop_browsers_by_their_own_marker_not_the_ones_they_borrow() {
        let cases = [
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                ("Chrome", "131.0.0.0", "Macintosh"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                ("Edge", "131.0.2903.86", "Windows"),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                ("Firefox", "133.0", "Linux"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                ("Safari", "18.1", "Macintosh"),
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
                ("Opera", "115.0.0.0", "Chrome OS"),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36",
                ("Chrome", "131.0.6778.85", "Linux"),
            ),
        ];
        for (ua, (browser, version, device)) in cases {
            assert_eq!(
                read(ua),
                (browser.into(), version.into(), device.into(), false),
                "{ua}"
            );
        }
    }

    #[test]
    fn phones_and_tablets_are_mobile_and_named_by_device() {
        let cases = [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                ("Safari", "18.1", "iPhone"),
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                ("Chrome", "131.0.6778.73", "iPad"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
                ("Samsung Internet", "27.0", "Android"),
            ),
            (
                "Mozilla/5.0 (Android 15; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
                ("Firefox", "133.0", "Android"),
            ),
        ];
        for (ua, (browser, version, device)) in cases {
            assert_eq!(
                read(ua),
                (browser.into(), version.into(), device.into(), true),
                "{ua}"
            );
        }
    }

    #[test]
    fn anything_else_is_left_unknown_rather_than_guessed() {
        assert_eq!(Device::from_user_agent("curl/8.5.0"), Device::default());
        assert_eq!(Device::from_user_agent(""), Device::default());
        let odd = Device::from_user_agent("Chrome/");
        assert_eq!(odd.browser_name.as_deref(), Some("Chrome"));
        assert_eq!(odd.browser_version, None);
    }
}
