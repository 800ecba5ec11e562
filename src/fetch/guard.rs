//! The private-address guard. With `allow_private_addresses = false`, no request may reach
//! loopback, private, link-local or otherwise internal addresses: a feed list is user input,
//! and a URL (or a redirect, or a DNS name) pointing inside the network must not turn the
//! archiver into a probe. The check is made on the resolved address, so a public-looking
//! name that resolves to 127.0.0.1 is refused too.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::addr::is_private_ip;

/// Marks the resolver's refusal inside reqwest's error chain so the fetcher can tell it
/// from an ordinary network failure.
pub const REFUSED_MARK: &str = "[warta-guard] ";

pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !is_private_ip(a.ip()))
                .collect();
            if public.is_empty() {
                let shown = addrs
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_else(|| "no address".into());
                let msg = format!(
                    "{REFUSED_MARK}{host} resolves to {shown}, a private or loopback address"
                );
                return Err(msg.into());
            }
            let it: Addrs = Box::new(public.into_iter());
            Ok(it)
        })
    }
}
