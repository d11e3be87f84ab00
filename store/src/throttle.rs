//! Sign-in attempts per client network, counted in PostgreSQL (by
//! [`Store::begin_sign_in`], in the statement that counts the user's attempt) so every
//! server process applies one limit. An IPv6 client is counted per /64: one host usually
//! holds the whole /64, so counting /128s would give it billions of budgets.

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::{Store, StoreError};

/// The network an address is counted in: the IPv4 address, or the IPv6 /64.
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
}

impl Store {
    /// Forgets windows that ended, so the table stays small.
    pub async fn prune_sign_in_attempts(
        &self,
        window_seconds: i64,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "DELETE FROM sign_in_throttle WHERE window_start <= $1 - make_interval(secs => $2)",
        )
        .bind(now)
        .bind(window_seconds as f64)
        .execute(self.pool())
        .await?
        .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::network_of;

    #[test]
    fn ipv6_is_counted_per_64() {
        let a = network_of(
            "2001:db8:1:2:aaaa::1"
                .parse()
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
        );
        let b = network_of(
            "2001:db8:1:2:bbbb::9"
                .parse()
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
        );
        let c = network_of(
            "2001:db8:1:3::1"
                .parse()
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            network_of(
                "203.0.113.7"
                    .parse()
                    .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))
            ),
            "203.0.113.7"
        );
    }
}
