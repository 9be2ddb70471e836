//! What the kernels ask the CPU: its vendor and family (for [`super::Prefetch::detect`]) and the
//! size of its last-level cache. An input larger than that cache cannot be resident in it, so
//! only such an input takes the streaming kernels by default (see [`super::stream_bytes`]). (On a
//! CPU with several last-level caches — AMD parts with several core complexes, several sockets —
//! `cpuid` describes one of them, and a pool spread over them holds more: there inputs a little
//! larger than one cache may still take the streaming kernels while cache-resident;
//! `Builder::stream_bytes` can say otherwise.)
//!
//! Why it matters: an input that fits the last-level cache and is read again comes from that
//! cache, where the streaming kernels, which read one block at a time and prefetch, are slower
//! than the cache-resident ones; past the last-level cache they are as fast or faster
//! (`cargo bench --bench tables -- scaling`, table (e); docs/performance.md, "Tuned constants").
//!
//! The CPU is asked through `cpuid` (x86-64 only): leaf 0 for the vendor; Intel's leaf 4 and
//! AMD's (and Hygon's) leaf 0x8000_001D describe each cache level in the same format. Elsewhere,
//! and under Miri, neither is known: no vendor, and the 4 MiB floor alone decides what streams.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// [`last_level_bytes`]'s answer once known: 0 before, `usize::MAX` for "unknown". Relaxed loads
/// and stores suffice: the word publishes nothing but itself, and every thread that finds 0
/// computes the same answer from the CPU.
static LAST_LEVEL: AtomicUsize = AtomicUsize::new(0);

/// The size in bytes of the largest-level data or unified cache the CPU reports, or `None` where
/// it cannot be asked or does not say. The CPU is asked once per process.
pub(crate) fn last_level_bytes() -> Option<usize> {
    match LAST_LEVEL.load(Relaxed) {
        0 => {
            let found = ask_cpu();
            LAST_LEVEL.store(found.unwrap_or(usize::MAX), Relaxed);
            found
        }
        usize::MAX => None,
        bytes => Some(bytes),
    }
}

/// The CPU's vendor string (`cpuid` leaf 0: "GenuineIntel", "AuthenticAMD", …) and its highest
/// basic leaf, or `None` where there is no `cpuid` to ask.
pub(crate) fn vendor() -> Option<([u8; 12], u32)> {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        #[allow(unused_unsafe)]
        // SAFETY: `cpuid` exists on every x86-64 CPU, and leaf 0 on every one.
        let r = unsafe { std::arch::x86_64::__cpuid(0) };
        let mut name = [0u8; 12];
        for (part, word) in name.chunks_mut(4).zip([r.ebx, r.edx, r.ecx]) {
            part.copy_from_slice(&word.to_le_bytes());
        }
        Some((name, r.eax))
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    None
}

/// The CPU's family as its vendor numbers it (`cpuid` leaf 1: the base family, plus the extended
/// family where the base is 15; AMD Zen 4 is 25, Zen 5 26), or 0 where there is no `cpuid`.
pub(crate) fn family() -> u32 {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        if vendor().is_some_and(|(_, max_leaf)| max_leaf >= 1) {
            #[allow(unused_unsafe)]
            // SAFETY: `cpuid` exists on every x86-64 CPU, and leaf 1 is at or below the highest
            // basic leaf it reports.
            let eax = unsafe { std::arch::x86_64::__cpuid(1) }.eax;
            let base = (eax >> 8) & 0xf;
            return if base == 0xf {
                base + ((eax >> 20) & 0xff)
            } else {
                base
            };
        }
        0
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    0
}

/// The cache description of `cpuid` leaf 4 / 0x8000_001D, sub-leaf by sub-leaf, until the "no
/// more caches" entry: the size of the data or unified cache of the highest level.
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn ask_cpu() -> Option<usize> {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    let (vendor, max_leaf) = vendor()?;
    #[allow(unused_unsafe)]
    // SAFETY: (this and every `cpuid` below) the instruction exists on every x86-64 CPU, and
    // leaf 0x8000_0000 (the highest extended leaf) on every one; a leaf beyond the highest the
    // CPU reports returns unspecified values, so the cache leaf is asked only at or below it.
    let max_extended = unsafe { __cpuid(0x8000_0000).eax };
    let leaf = match &vendor {
        b"GenuineIntel" if max_leaf >= 4 => 4,
        // AMD documents leaf 0x8000_001D only where TopologyExtensions (leaf 0x8000_0001, ECX
        // bit 22) is set; without it the leaf is reserved (Linux then reads the legacy leaves,
        // whose L3 field a VM may fill with the host's figure: left alone here).
        b"AuthenticAMD" | b"HygonGenuine"
            if max_extended >= 0x8000_001D && topology_extensions() =>
        {
            0x8000_001D
        }
        _ => return None,
    };
    let mut best: Option<(u32, usize)> = None;
    for sub in 0..16 {
        #[allow(unused_unsafe)]
        // SAFETY: see above; `leaf` is at most the maximum the CPU reports.
        let r = unsafe { __cpuid_count(leaf, sub) };
        let kind = r.eax & 0x1f; // 0: no more caches, 1: data, 2: instruction, 3: unified
        if kind == 0 {
            break;
        }
        if kind == 2 {
            continue;
        }
        let level = (r.eax >> 5) & 0x7;
        let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
        let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
        let line = (r.ebx & 0xfff) as usize + 1;
        let sets = r.ecx as usize + 1;
        let bytes = ways * partitions * line * sets;
        if best.is_none_or(|(l, _)| level > l) {
            best = Some((level, bytes));
        }
    }
    best.map(|(_, bytes)| bytes)
}

/// Whether an AMD-style CPU sets TopologyExtensions (leaf 0x8000_0001, ECX bit 22).
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn topology_extensions() -> bool {
    #[allow(unused_unsafe)]
    // SAFETY: `cpuid` exists on every x86-64 CPU; the caller has checked that the highest
    // extended leaf is at least 0x8000_001D, so 0x8000_0001 is within it.
    let ecx = unsafe { std::arch::x86_64::__cpuid(0x8000_0001) }.ecx;
    ecx & (1 << 22) != 0
}

/// No `cpuid` to ask.
#[cfg(not(all(target_arch = "x86_64", not(miri))))]
fn ask_cpu() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_remembered() {
        let first = last_level_bytes();
        assert_ne!(LAST_LEVEL.load(Relaxed), 0);
        assert_eq!(last_level_bytes(), first);
    }

    /// On Linux the kernel's own reading of the same `cpuid` leaves is in sysfs: the largest
    /// level's data or unified cache there must be the size found here, wherever this module
    /// reads the leaf Linux reads (Intel's leaf 4; AMD's 0x8000_001D with TopologyExtensions).
    #[cfg(all(target_os = "linux", target_arch = "x86_64", not(miri)))]
    #[test]
    fn the_size_is_the_one_linux_reports() {
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let described = info.contains("GenuineIntel")
            || (info.contains("AuthenticAMD") || info.contains("HygonGenuine"))
                && info.lines().any(|l| {
                    l.starts_with("flags") && l.split_whitespace().any(|f| f == "topoext")
                });
        if !described {
            eprintln!("a CPU whose cache leaf this module does not read: nothing to compare");
            return;
        }
        let mut sysfs: Option<(u32, usize)> = None;
        for index in 0..16 {
            let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
            let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}"));
            let (Ok(level), Ok(kind), Ok(size)) = (read("level"), read("type"), read("size"))
            else {
                break;
            };
            if kind.trim() == "Instruction" {
                continue;
            }
            let level: u32 = level.trim().parse().unwrap();
            let size = size.trim();
            let bytes: usize = match size.strip_suffix('K') {
                Some(kib) => kib.parse::<usize>().unwrap() << 10,
                None => match size.strip_suffix('M') {
                    Some(mib) => mib.parse::<usize>().unwrap() << 20,
                    None => size.parse().unwrap(),
                },
            };
            if sysfs.is_none_or(|(l, _)| level > l) {
                sysfs = Some((level, bytes));
            }
        }
        match sysfs {
            Some((_, bytes)) => assert_eq!(last_level_bytes(), Some(bytes)),
            None => eprintln!("no cache description in sysfs: nothing to compare with"),
        }
    }
}
