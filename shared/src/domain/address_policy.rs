//! Which hosts the CDN may fetch from (docs/SPEC.md §4, and the verify check's connect-time guard, §14):
//! never loopback, private, link-local, unspecified, CGNAT, multicast or reserved addresses, in
//! whatever IPv6 form embeds them, and never a name that can only exist inside a network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Addresses that are not on the public internet.
pub fn refused_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => refused_ipv4(v4),
        IpAddr::V6(v6) => refused_ipv6(v6),
    }
}

fn refused_ipv4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network" (RFC 791)
        || (a == 100 && (64..128).contains(&b)) // shared address space, CGNAT (RFC 6598)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments (RFC 6890)
        || (a == 198 && (18..20).contains(&b)) // benchmarking (RFC 2544)
        || a >= 240 // reserved (RFC 1112)
}

fn refused_ipv6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // Forms that carry an IPv4 address: the packet ends up at that address, so it decides.
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return refused_ipv4(mapped); // ::ffff:a.b.c.d (RFC 4291)
    }
    if s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return refused_ipv4(v4(s[6], s[7])); // IPv4-translated ::ffff:0:a.b.c.d (RFC 2765)
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return refused_ipv4(v4(s[6], s[7])); // NAT64 well-known prefix (RFC 6052)
    }
    if s[0] == 0x2002 {
        return refused_ipv4(v4(s[1], s[2])); // 6to4 (RFC 3056)
    }
    if s[0] == 0x2001 && s[1] == 0 {
        // Teredo (RFC 4380): the server's address, and the client's stored inverted.
        return refused_ipv4(v4(s[2], s[3])) || refused_ipv4(v4(!s[6], !s[7]));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || s[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible, deprecated (RFC 4291)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 64:ff9b:1::/48 (RFC 8215)
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64 (RFC 6666)
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local, deprecated (RFC 3879)
        || (s[0] & 0xfe00) == 0xfc00 // unique local (RFC 4193)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation (RFC 3849)
}

/// Top-level names and suffixes that only exist inside a network, whatever DNS says elsewhere.
const PRIVATE_SUFFIXES: [&str; 12] = [
    "localhost",   // RFC 6761 §6.3
    "local",       // multicast DNS, RFC 6762 (Kubernetes' cluster.local included)
    "internal",    // ICANN's private-use TLD (2024), GCP's metadata.google.internal
    "localdomain", // the conventional /etc/hosts domain
    "home.arpa",   // RFC 8375
    "svc",         // Kubernetes service names (<service>.<namespace>.svc)
    "intranet",    // RFC 6762 appendix G: names used privately
    "private",
    "corp",
    "home",
    "lan",
    "onion", // RFC 7686: not reachable over plain DNS
];

/// A DNS name (lowercase, no trailing dot) the CDN must not fetch from: a single label (`metadata`,
/// `instance-data`: never a public origin) or a name under a private-use suffix.
pub fn refused_host_name(name: &str) -> bool {
    if !name.contains('.') {
        return true;
    }
    PRIVATE_SUFFIXES.iter().any(|suffix| {
        name == *suffix
            || name
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// Zones no CDN can serve a custom domain under: reserved for tests, documentation, failure,
/// the local network, Tor and reverse lookups (RFC 6761 §6.2–6.5, RFC 6762, RFC 7686, RFC 8375,
/// RFC 1035 §3.5 and RFC 3596 §2.5, ICANN's private-use `.internal`). No public certificate
/// authority issues for them and no delegation reaches them, so a source claiming one would
/// claim a name it can never be served under (docs/SPEC.md §23).
const SPECIAL_USE_ZONES: [&str; 10] = [
    "test",
    "example",
    "invalid",
    "localhost",
    "local",
    "internal",
    "onion",
    "home.arpa",
    "in-addr.arpa",
    "ip6.arpa",
];

/// The special-use zone `name` (lowercase, no trailing dot) is or lies under, if any.
pub fn special_use_zone(name: &str) -> Option<&'static str> {
    SPECIAL_USE_ZONES.into_iter().find(|zone| {
        name == *zone
            || name
                .strip_suffix(zone)
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        refused_ip(text.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "2002:808:808::1", // 6to4 of 8.8.8.8
            "64:ff9b::808:808",
        ] {
            assert!(!refused(ip), "{ip}");
        }
    }

    #[test]
    fn private_addresses_in_every_form_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "240.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::ffff:0:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:a9fe:a9fe::1",         // 6to4 of 169.254.169.254
            "2002:7f00:1::",             // 6to4 of 127.0.0.1
            "2001:0:a00:1::1",           // Teredo with server 10.0.0.1
            "2001:0:808:808::f5fe:fefe", // Teredo with client 10.1.1.1 (inverted)
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn single_labels_and_private_suffixes_are_refused() {
        for name in [
            "metadata",
            "instance-data",
            "localhost",
            "api.localhost",
            "printer.local",
            "db.default.svc.cluster.local",
            "web.default.svc",
            "metadata.google.internal",
            "router.home.arpa",
            "box.localdomain",
            "files.corp",
            "nas.lan",
        ] {
            assert!(refused_host_name(name), "{name}");
        }
        for name in [
            "example.com",
            "images.example.com",
            "local.example.com",
            "internal.example.com",
            "svc.example.org",
        ] {
            assert!(!refused_host_name(name), "{name}");
        }
    }

    #[test]
    fn special_use_zones_are_found_by_whole_labels() {
        for (name, zone) in [
            ("images.test", "test"),
            ("test", "test"),
            ("cdn.acme.example", "example"),
            ("a.invalid", "invalid"),
            ("app.localhost", "localhost"),
            ("printer.local", "local"),
            ("metadata.google.internal", "internal"),
            (
                "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",
                "onion",
            ),
            ("router.home.arpa", "home.arpa"),
            ("1.0.0.127.in-addr.arpa", "in-addr.arpa"),
            ("b.a.9.8.ip6.arpa", "ip6.arpa"),
        ] {
            assert_eq!(special_use_zone(name), Some(zone), "{name}");
        }
        for name in [
            "example.com",
            "test.example.com",
            "latest",
            "contest",
            "mytest.com",
            "arpa.example.org",
            "local.example.com",
            "xn--bcher-kva.com",
        ] {
            assert_eq!(special_use_zone(name), None, "{name}");
        }
    }
}
