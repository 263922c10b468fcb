//! Identifiers the emulator makes up as Lambda would: request ids and X-Ray trace ids.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 64 well-mixed bits: splitmix64's finalizer over the clock, the process id and a
/// counter. Ids only need to be unique and look random, not be secret; a hasher with
/// random keys would add about 1 KiB to every function binary for nothing more.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut x = nanos ^ u64::from(std::process::id()).rotate_left(40);
    x = x.wrapping_add(count.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// 128 bits from the kernel's generator, as 32 hex digits: the sandbox's secret path,
/// which must not be guessable (unlike ids).
pub(crate) fn secret() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0_u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A random (version 4) UUID, the form of Lambda's request ids.
pub(crate) fn request_id() -> String {
    let (high, low) = (random_u64(), random_u64());
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// An X-Ray trace header: `Root=1-<epoch seconds hex>-<96 random bits>;Parent=…;Sampled=0`.
pub(crate) fn trace_id() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!(
        "Root=1-{seconds:08x}-{:08x}{:016x};Parent={:016x};Sampled=0",
        random_u64() as u32,
        random_u64(),
        random_u64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids_and_differ() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert!(crate::context::is_safe_request_id(a.as_bytes()));
    }

    #[test]
    fn trace_ids_have_the_x_ray_shape() {
        let trace = trace_id();
        let root = trace.strip_prefix("Root=1-").unwrap();
        assert_eq!(root.split(';').next().unwrap().len(), 8 + 1 + 24, "{trace}");
        assert!(trace.ends_with(";Sampled=0"));
    }
}
