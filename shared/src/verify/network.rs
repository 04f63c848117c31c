//! The connect-time address guard (docs/SPEC.md §14): every host a verification connects to is resolved
//! here, every answer is held to the address policy of §4, and the connection goes to an address
//! that was checked, never to a name resolved again later (so a DNS answer that changes between
//! the check and the connect cannot move it). No proxy from the environment is ever used: this
//! module opens the sockets itself.
//!
//! Resolving and connecting go through [`Network`], the seam tests use: a test resolver can answer
//! a name with any address (169.254.169.254, a private range) while the test's connector only
//! ever reaches loopback, so a test could not send a packet off the machine even if the guard
//! were broken.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use tokio::net::TcpStream;

use super::outcome::Problem;
use crate::domain::address_policy::{refused_host_name, refused_ip};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How the guard resolves names and opens connections.
pub trait Network: Send + Sync + 'static {
    /// The addresses `host` (a DNS name, never an IP literal) resolves to.
    fn resolve<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, io::Result<Vec<IpAddr>>>;
    /// A TCP connection to `address`, which the guard has checked.
    fn connect(&self, address: SocketAddr) -> BoxFuture<'_, io::Result<TcpStream>>;
}

/// The system's resolver (getaddrinfo, through tokio) and plain TCP connects.
#[derive(Debug, Default)]
pub struct SystemNetwork;

impl Network for SystemNetwork {
    fn resolve<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host, port))
                .await?
                .map(|address| address.ip())
                .collect())
        })
    }

    fn connect(&self, address: SocketAddr) -> BoxFuture<'_, io::Result<TcpStream>> {
        Box::pin(TcpStream::connect(address))
    }
}

/// The address policy, with its one switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Let loopback addresses (127.0.0.0/8, ::1, and their IPv4-mapped forms) through, for tests
    /// and local emulators. Nothing else the policy refuses is let through by it.
    /// `template.yaml` never sets it (a test says so).
    pub allow_loopback: bool,
}

impl AddressPolicy {
    pub fn refuses(&self, ip: IpAddr) -> bool {
        refused_ip(ip) && !(self.allow_loopback && is_loopback(ip))
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// A host as a URL holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    pub fn from_url(url: &url::Url) -> Option<Self> {
        match url.host()? {
            url::Host::Domain(name) => {
                Some(Host::Name(name.trim_end_matches('.').to_ascii_lowercase()))
            }
            url::Host::Ipv4(ip) => Some(Host::Ip(IpAddr::V4(ip))),
            url::Host::Ipv6(ip) => Some(Host::Ip(IpAddr::V6(ip))),
        }
    }
}

/// Resolves and connects, refusing what the policy refuses.
#[derive(Clone)]
pub struct Guard {
    pub network: Arc<dyn Network>,
    pub policy: AddressPolicy,
}

impl Guard {
    /// A connection to `host:port` at an address the policy allows. When a name resolves to any
    /// refused address, it is refused whole: which answer a client would use is not ours to bet on.
    pub async fn connect(&self, host: &Host, port: u16) -> Result<TcpStream, Problem> {
        let addresses = match host {
            Host::Ip(ip) => vec![*ip],
            Host::Name(name) => {
                if refused_host_name(name) {
                    return Err(Problem::RefusedHostName);
                }
                let answers = self
                    .network
                    .resolve(name, port)
                    .await
                    .map_err(|_| Problem::NameNotResolved)?;
                if answers.is_empty() {
                    return Err(Problem::NameNotResolved);
                }
                answers
            }
        };
        if addresses.iter().any(|ip| self.policy.refuses(*ip)) {
            return Err(Problem::RefusedAddress);
        }
        let mut last = Problem::ConnectFailed;
        for ip in addresses {
            match self.network.connect(SocketAddr::new(ip, port)).await {
                Ok(stream) => return Ok(stream),
                Err(_) => last = Problem::ConnectFailed,
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_lets_loopback_through_and_nothing_else() {
        let strict = AddressPolicy::default();
        let tests = AddressPolicy {
            allow_loopback: true,
        };
        for loopback in ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"] {
            let ip: IpAddr = loopback.parse().unwrap();
            assert!(strict.refuses(ip), "{loopback}");
            assert!(!tests.refuses(ip), "{loopback}");
        }
        for other in [
            "169.254.169.254",
            "10.0.0.1",
            "::ffff:169.254.169.254",
            "0.0.0.0",
            "fd00::1",
        ] {
            let ip: IpAddr = other.parse().unwrap();
            assert!(tests.refuses(ip), "{other}");
        }
    }
}
