//! City and country of a session's address, from a GeoIP database file the
//! operator supplies (`geoip_database`: a MaxMind GeoIP2/GeoLite2 City or
//! Country `.mmdb`, or any database in that layout). Read once at start-up
//! into memory and looked up locally: an address is never sent to a third
//! party to be placed.

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

/// An opened GeoIP database.
pub struct GeoIp {
    reader: maxminddb::Reader<Vec<u8>>,
}

/// A database that cannot be used, said for the operator.
#[derive(Debug, thiserror::Error)]
#[error("cannot use {path} as a GeoIP database: {reason}")]
pub struct GeoIpError {
    path: String,
    reason: String,
}

/// The members of a City (or Country) record that a session shows.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    city: Option<Named<'a>>,
    #[serde(borrow, default)]
    country: Option<Country<'a>>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow, default)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize)]
struct Names<'a> {
    #[serde(borrow, default)]
    en: Option<&'a str>,
}

#[derive(Deserialize)]
struct Country<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

/// Where an address is, as far as the database knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2, as Clerk's session activity shows it.
    pub country: Option<String>,
}

impl GeoIp {
    /// Open and check the database: one that cannot be read stops start-up
    /// rather than leaving every session without a place unnoticed.
    pub fn open(path: &Path) -> Result<Self, GeoIpError> {
        let fail = |reason: String| GeoIpError {
            path: path.display().to_string(),
            reason,
        };
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| fail(e.to_string()))?;
        let kind = &reader.metadata().database_type;
        if !(kind.contains("City") || kind.contains("Country")) {
            return Err(fail(format!(
                "it is a {kind} database; a City or Country database is needed"
            )));
        }
        Ok(Self { reader })
    }

    /// The city and country of `ip`; nothing for addresses the database does
    /// not hold (private ranges, loopback) or cannot decode.
    pub fn locate(&self, ip: IpAddr) -> Location {
        let found = self
            .reader
            .lookup(ip)
            .ok()
            .and_then(|r| r.decode::<Record<'_>>().ok().flatten());
        let Some(record) = found else {
            return Location::default();
        };
        Location {
            city: record
                .city
                .and_then(|c| c.names)
                .and_then(|n| n.en)
                .map(str::to_owned),
            country: record.country.and_then(|c| c.iso_code).map(str::to_owned),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use frontdesk_testkit::mmdb::{Place, city_database};

    fn place(net: [u8; 4], len: u8, city: &str, country: &str) -> Place {
        Place {
            network: net.into(),
            prefix_len: len,
            city: city.into(),
            country: country.into(),
        }
    }

    #[test]
    fn addresses_are_placed_by_the_most_specific_network_and_others_are_left_blank() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("city.mmdb");
        let places = [
            place([81, 2, 69, 0], 24, "Berlin", "DE"),
            place([203, 0, 113, 0], 24, "Athens", "GR"),
            place([198, 51, 0, 0], 16, "Lisbon", "PT"),
        ];
        std::fs::write(&path, city_database(&places)).unwrap();
        let geo = GeoIp::open(&path).unwrap();
        let at = |ip: &str| geo.locate(ip.parse().unwrap());
        assert_eq!(
            at("81.2.69.160"),
            Location {
                city: Some("Berlin".into()),
                country: Some("DE".into())
            }
        );
        assert_eq!(at("203.0.113.7").city.as_deref(), Some("Athens"));
        assert_eq!(at("198.51.100.1").country.as_deref(), Some("PT"));
        assert_eq!(at("127.0.0.1"), Location::default());
        assert_eq!(at("::1"), Location::default());
    }

    #[test]
    fn a_file_that_is_not_a_geoip_database_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.mmdb");
        std::fs::write(&path, b"not a database").unwrap();
        let err = GeoIp::open(&path).err().unwrap().to_string();
        assert!(err.contains("junk.mmdb"), "{err}");
        let missing = GeoIp::open(&dir.path().join("absent.mmdb")).err().unwrap();
        assert!(missing.to_string().contains("absent.mmdb"));
    }
}
