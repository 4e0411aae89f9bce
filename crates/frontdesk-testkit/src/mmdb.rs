//! A MaxMind DB file written for tests: a few IPv4 networks with a city and
//! a country, in the GeoIP2 City layout, so the GeoIP lookup runs against a
//! real `.mmdb` read by the real `maxminddb` reader, with places the test
//! chose (MaxMind's databases cannot be downloaded here, and must not be).
//!
//! Written from the published format ("MaxMind DB File Format
//! Specification", version 2.0): a binary search tree of 24-bit records,
//! sixteen zero bytes, the data section, then the metadata after the marker
//! `\xAB\xCD\xEFMaxMind.com`.

use std::net::Ipv4Addr;

/// A network and where it is.
#[derive(Debug, Clone)]
pub struct Place {
    pub network: Ipv4Addr,
    pub prefix_len: u8,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Clone, Copy)]
enum Record {
    Empty,
    Node(usize),
    Data(usize),
}

/// The bytes of a City database holding `places`.
pub fn city_database(places: &[Place]) -> Vec<u8> {
    let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty; 2]];
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for (i, place) in places.iter().enumerate() {
        offsets.push(data.len());
        map(&mut data, 2);
        string(&mut data, "city");
        map(&mut data, 1);
        names(&mut data, &place.city);
        string(&mut data, "country");
        map(&mut data, 2);
        string(&mut data, "iso_code");
        string(&mut data, &place.country);
        names(&mut data, &place.country);
        let bits = u32::from(place.network);
        let mut node = 0;
        for depth in 0..place.prefix_len {
            let bit = ((bits >> (31 - depth)) & 1) as usize;
            if depth + 1 == place.prefix_len {
                nodes[node][bit] = Record::Data(i);
            } else {
                node = match nodes[node][bit] {
                    Record::Node(next) => next,
                    _ => {
                        nodes.push([Record::Empty; 2]);
                        let next = nodes.len() - 1;
                        nodes[node][bit] = Record::Node(next);
                        next
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for pair in &nodes {
        for record in pair {
            let value = match *record {
                Record::Empty => count,
                Record::Node(n) => n,
                Record::Data(i) => count + 16 + offsets[i],
            };
            out.extend_from_slice(&(value as u32).to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    map(&mut out, 9);
    string(&mut out, "binary_format_major_version");
    uint(&mut out, 5, 2);
    string(&mut out, "binary_format_minor_version");
    uint(&mut out, 5, 0);
    string(&mut out, "build_epoch");
    uint(&mut out, 9, 1_700_000_000);
    string(&mut out, "database_type");
    string(&mut out, "GeoIP2-City");
    string(&mut out, "description");
    map(&mut out, 1);
    string(&mut out, "en");
    string(&mut out, "Frontdesk test places");
    string(&mut out, "ip_version");
    uint(&mut out, 5, 4);
    string(&mut out, "languages");
    control(&mut out, 11, 1);
    string(&mut out, "en");
    string(&mut out, "node_count");
    uint(&mut out, 6, count as u64);
    string(&mut out, "record_size");
    uint(&mut out, 5, 24);
    out
}

/// A control byte: the type in the top three bits (extended types in the
/// next byte), the size in the low five (all sizes here are under 29).
fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 29, "sizes past 28 need the long form");
    if kind <= 7 {
        out.push((kind << 5) | size as u8);
    } else {
        out.push(size as u8);
        out.push(kind - 7);
    }
}

fn map(out: &mut Vec<u8>, entries: usize) {
    control(out, 7, entries);
}

fn string(out: &mut Vec<u8>, s: &str) {
    control(out, 2, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// `{"names": {"en": name}}`'s inner entry.
fn names(out: &mut Vec<u8>, name: &str) {
    string(out, "names");
    map(out, 1);
    string(out, "en");
    string(out, name);
}

/// An unsigned integer of type `kind` (5: uint16, 6: uint32, 9: uint64), in
/// as few big-endian bytes as it needs.
fn uint(out: &mut Vec<u8>, kind: u8, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, kind, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}
