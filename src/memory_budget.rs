//! The memory a run may use when `--max-memory` is not given: half of the smallest of the
//! machine's memory, the memory limit of the process's control group (cgroup v2 `memory.max`,
//! v1 `memory.limit_in_bytes`, of its own group and every group above it) and the process's
//! address-space and data limits (`ulimit -v`, `ulimit -d`). In a container or under a ulimit,
//! the machine's memory is not what the process may use; a budget taken from it lets a large
//! scenario abort on a failed allocation instead of running fewer strategies at once.
//!
//! Parsing is separate from reading, so the parsers are tested on fixture strings.

use std::path::{Path, PathBuf};

/// The budget where no limit can be read at all (not Linux, no `/proc`), bytes.
pub const FALLBACK_BYTES: u64 = 8_000_000_000;

/// cgroup v1 writes "no limit" as a huge number (`9223372036854771712`, a page-rounded
/// `i64::MAX`); any value from 2^60 bytes on is taken as none.
const NO_LIMIT_FROM: u64 = 1 << 60;

/// What limits the process's memory, in bytes; `None` where there is no limit or it cannot be
/// read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryLimits {
    /// `MemTotal` of `/proc/meminfo`.
    pub machine: Option<u64>,
    /// The lowest cgroup memory limit on the path from the process's group to the root.
    pub cgroup: Option<u64>,
    /// `RLIMIT_AS` (`ulimit -v`).
    pub address_space: Option<u64>,
    /// `RLIMIT_DATA` (`ulimit -d`).
    pub data: Option<u64>,
}

impl MemoryLimits {
    /// Reads every limit of this process.
    pub fn detect() -> MemoryLimits {
        MemoryLimits {
            machine: std::fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|t| meminfo_total_bytes(&t)),
            cgroup: cgroup_limit(),
            address_space: rlimit(Resource::AddressSpace),
            data: rlimit(Resource::Data),
        }
    }

    /// The smallest limit and what it is (`the machine's memory`, `the cgroup memory limit`...),
    /// `None` when none is known.
    pub fn smallest(&self) -> Option<(u64, &'static str)> {
        [
            (self.machine, "the machine's memory"),
            (self.cgroup, "the cgroup memory limit"),
            (self.address_space, "ulimit -v"),
            (self.data, "ulimit -d"),
        ]
        .into_iter()
        .filter_map(|(v, what)| v.filter(|&v| v > 0).map(|v| (v, what)))
        .min_by_key(|&(v, _)| v)
    }

    /// The default budget: half of the smallest limit ([`FALLBACK_BYTES`] when none is known).
    pub fn budget(&self) -> u64 {
        self.smallest().map_or(FALLBACK_BYTES, |(v, _)| v / 2)
    }

    /// Where the budget comes from, for messages: `half of the cgroup memory limit, 4.3 GB`.
    pub fn describe(&self) -> String {
        match self.smallest() {
            Some((v, what)) => format!("half of {what}, {}", crate::experiment::bytes(v)),
            None => "no memory limit could be read".to_string(),
        }
    }
}

/// `MemTotal` of `/proc/meminfo` text, in bytes.
pub fn meminfo_total_bytes(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .filter(|&kib| kib > 0)
        .and_then(|kib| kib.checked_mul(1024))
}

/// A cgroup memory limit file's content in bytes: `max` (v2) or a huge number (v1) is none.
pub fn parse_limit(text: &str) -> Option<u64> {
    let t = text.trim();
    if t == "max" {
        return None;
    }
    t.parse::<u64>()
        .ok()
        .filter(|&v| v > 0 && v < NO_LIMIT_FROM)
}

/// Where the process sits in the memory hierarchies, from `/proc/self/cgroup`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CgroupPaths {
    /// The v2 (unified) group: the path of the `0::PATH` line.
    pub v2: Option<String>,
    /// The v1 group of the `memory` controller: the path of the `N:...memory...:PATH` line.
    pub v1_memory: Option<String>,
}

/// Parses `/proc/self/cgroup` (`hierarchy-ID:controller-list:path` lines).
pub fn parse_proc_cgroup(text: &str) -> CgroupPaths {
    let mut paths = CgroupPaths::default();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            paths.v2 = Some(path.to_string());
        } else if controllers.split(',').any(|c| c == "memory") {
            paths.v1_memory = Some(path.to_string());
        }
    }
    paths
}

/// A cgroup file system mounted in this process's view, from `/proc/self/mountinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupMount {
    /// The group of the hierarchy the mount shows at its mount point (`/` unless the mount
    /// shows a sub-tree, as in a container).
    pub root: String,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// `true` for cgroup2, `false` for a v1 hierarchy holding the memory controller.
    pub v2: bool,
}

/// The cgroup2 mount and the v1 memory-controller mount of `/proc/self/mountinfo` text.
pub fn parse_mountinfo(text: &str) -> Vec<CgroupMount> {
    let mut mounts = Vec::new();
    for line in text.lines() {
        // ID parent major:minor root mount-point options [optional fields] - type source super-options
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = left.split(' ').collect();
        let after: Vec<&str> = right.split(' ').collect();
        if fields.len() < 5 || after.len() < 3 {
            continue;
        }
        let v2 = match after[0] {
            "cgroup2" => true,
            "cgroup" if after[2].split(',').any(|o| o == "memory") => false,
            _ => continue,
        };
        mounts.push(CgroupMount {
            root: unescape_mount(fields[3]),
            mount_point: PathBuf::from(unescape_mount(fields[4])),
            v2,
        });
    }
    mounts
}

/// mountinfo writes space, tab, newline and backslash as octal escapes (`\040`).
fn unescape_mount(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 4);
        match code.and_then(|c| u8::from_str_radix(c, 8).ok()) {
            Some(b) => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The folders of the group `path` and of every group above it up to the mount's root, in the
/// file system mounted at `mount` (showing the hierarchy from `mount.root` down). A group the
/// mount does not show (outside its root: a container that sees the host's path) is taken as
/// the mount point itself, the group the container was given.
pub fn group_dirs(mount: &CgroupMount, path: &str) -> Vec<PathBuf> {
    let root = mount.root.trim_end_matches('/');
    let relative = match path.strip_prefix(root) {
        Some(rest) if root.is_empty() || rest.is_empty() || rest.starts_with('/') => rest,
        _ => "",
    };
    let mut dirs = vec![mount.mount_point.clone()];
    let mut dir = mount.mount_point.clone();
    for part in relative.split('/').filter(|p| !p.is_empty() && *p != "..") {
        dir.push(part);
        dirs.push(dir.clone());
    }
    dirs.reverse();
    dirs
}

/// The lowest limit in `file` of the folders `dirs` read with `read`.
fn lowest_limit(
    dirs: &[PathBuf],
    file: &str,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<u64> {
    dirs.iter()
        .filter_map(|d| read(&d.join(file)).and_then(|t| parse_limit(&t)))
        .min()
}

/// The process's cgroup memory limit, from `/proc/self/cgroup` and `/proc/self/mountinfo`
/// (`/sys/fs/cgroup` when mountinfo cannot be read), v2 and v1 alike; the lowest found.
fn cgroup_limit() -> Option<u64> {
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let cgroups = read(Path::new("/proc/self/cgroup"))?;
    let mounts = read(Path::new("/proc/self/mountinfo"))
        .map(|t| parse_mountinfo(&t))
        .unwrap_or_else(|| {
            vec![
                CgroupMount {
                    root: "/".into(),
                    mount_point: "/sys/fs/cgroup".into(),
                    v2: true,
                },
                CgroupMount {
                    root: "/".into(),
                    mount_point: "/sys/fs/cgroup/memory".into(),
                    v2: false,
                },
            ]
        });
    cgroup_limit_from(&parse_proc_cgroup(&cgroups), &mounts, &read)
}

/// [`cgroup_limit`] from parsed inputs, reading limit files with `read`.
pub fn cgroup_limit_from(
    paths: &CgroupPaths,
    mounts: &[CgroupMount],
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<u64> {
    let mut lowest: Option<u64> = None;
    for m in mounts {
        let (path, file) = if m.v2 {
            (paths.v2.as_deref(), "memory.max")
        } else {
            (paths.v1_memory.as_deref(), "memory.limit_in_bytes")
        };
        let Some(path) = path else { continue };
        if let Some(v) = lowest_limit(&group_dirs(m, path), file, read) {
            lowest = Some(lowest.map_or(v, |l| l.min(v)));
        }
    }
    lowest
}

/// A resource limit of the process.
#[derive(Clone, Copy, Debug)]
enum Resource {
    AddressSpace,
    Data,
}

/// The soft limit of `resource` in bytes; `None` when unlimited or unknown.
#[cfg(unix)]
fn rlimit(resource: Resource) -> Option<u64> {
    let which = match resource {
        Resource::AddressSpace => libc::RLIMIT_AS,
        Resource::Data => libc::RLIMIT_DATA,
    };
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct it is given, which outlives the call.
    let rc = unsafe { libc::getrlimit(which, &mut limit) };
    if rc != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    // `rlim_t` is u64 on Linux but not on every Unix.
    #[allow(clippy::useless_conversion)]
    let cur = u64::try_from(limit.rlim_cur).ok();
    cur.filter(|&v| v > 0 && v < NO_LIMIT_FROM)
}

#[cfg(not(unix))]
fn rlimit(_resource: Resource) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_total_is_read_in_kibibytes() {
        let text = "MemTotal:       24562848 kB\nMemFree:        22000000 kB\n";
        assert_eq!(meminfo_total_bytes(text), Some(24_562_848 * 1024));
        assert_eq!(meminfo_total_bytes("MemFree: 5 kB\n"), None);
        assert_eq!(meminfo_total_bytes("MemTotal: lots kB\n"), None);
    }

    #[test]
    fn limit_files_say_max_or_a_huge_number_for_none() {
        assert_eq!(parse_limit("max\n"), None);
        assert_eq!(parse_limit("9223372036854771712\n"), None);
        assert_eq!(parse_limit("4294967296\n"), Some(4 << 30));
        assert_eq!(parse_limit(""), None);
        assert_eq!(parse_limit("0"), None);
    }

    #[test]
    fn proc_self_cgroup_gives_the_v2_group_and_the_v1_memory_group() {
        let hybrid = "9:name=systemd:/\n4:memory:/process_api/89\n3:cpuset:/\n0::/\n";
        assert_eq!(
            parse_proc_cgroup(hybrid),
            CgroupPaths {
                v2: Some("/".into()),
                v1_memory: Some("/process_api/89".into())
            }
        );
        let v2 = "0::/user.slice/user-1000.slice/session-2.scope\n";
        assert_eq!(
            parse_proc_cgroup(v2).v2.as_deref(),
            Some("/user.slice/user-1000.slice/session-2.scope")
        );
        let joined = "5:cpuacct,memory:/docker/abc\n";
        assert_eq!(
            parse_proc_cgroup(joined).v1_memory.as_deref(),
            Some("/docker/abc")
        );
        assert_eq!(parse_proc_cgroup("garbage\n"), CgroupPaths::default());
    }

    #[test]
    fn mountinfo_gives_the_cgroup2_and_memory_mounts() {
        let text = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified\\040dir rw,relatime - cgroup2 cgroup2 rw
";
        let mounts = parse_mountinfo(text);
        assert_eq!(
            mounts,
            vec![
                CgroupMount {
                    root: "/docker/abc".into(),
                    mount_point: "/sys/fs/cgroup/memory".into(),
                    v2: false
                },
                CgroupMount {
                    root: "/".into(),
                    mount_point: "/sys/fs/cgroup/unified dir".into(),
                    v2: true
                },
            ]
        );
    }

    #[test]
    fn the_lowest_limit_from_the_group_up_to_the_root_counts() {
        let files = |list: &'static [(&'static str, &'static str)]| {
            move |p: &Path| {
                list.iter()
                    .find(|(f, _)| Path::new(f) == p)
                    .map(|(_, t)| t.to_string())
            }
        };
        let v2 = CgroupMount {
            root: "/".into(),
            mount_point: "/cg".into(),
            v2: true,
        };
        let paths = CgroupPaths {
            v2: Some("/a/b".into()),
            v1_memory: None,
        };
        // The parent's limit is lower than the group's own.
        let read = files(&[
            ("/cg/a/b/memory.max", "max\n"),
            ("/cg/a/memory.max", "2147483648\n"),
        ]);
        assert_eq!(
            cgroup_limit_from(&paths, std::slice::from_ref(&v2), &read),
            Some(2 << 30)
        );
        let read = files(&[
            ("/cg/a/b/memory.max", "max\n"),
            ("/cg/a/memory.max", "max\n"),
        ]);
        assert_eq!(cgroup_limit_from(&paths, &[v2], &read), None);

        // A container's v1 mount shows its own group at the mount point; the host's path in
        // /proc/self/cgroup lies outside what the mount shows.
        let v1 = CgroupMount {
            root: "/docker/abc".into(),
            mount_point: "/sys/fs/cgroup/memory".into(),
            v2: false,
        };
        let paths = CgroupPaths {
            v2: None,
            v1_memory: Some("/docker/abc".into()),
        };
        let read = files(&[(
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "4294967296\n",
        )]);
        assert_eq!(
            cgroup_limit_from(&paths, std::slice::from_ref(&v1), &read),
            Some(4 << 30)
        );
        let elsewhere = CgroupPaths {
            v2: None,
            v1_memory: Some("/kubepods/pod1/xyz".into()),
        };
        assert_eq!(cgroup_limit_from(&elsewhere, &[v1], &read), Some(4 << 30));
    }

    #[test]
    fn the_budget_is_half_of_the_smallest_limit() {
        let limits = MemoryLimits {
            machine: Some(32 << 30),
            cgroup: Some(8 << 30),
            address_space: Some(4 << 30),
            data: None,
        };
        assert_eq!(limits.budget(), 2 << 30);
        assert!(
            limits.describe().contains("ulimit -v"),
            "{}",
            limits.describe()
        );
        let machine_only = MemoryLimits {
            machine: Some(16 << 30),
            ..Default::default()
        };
        assert_eq!(machine_only.budget(), 8 << 30);
        assert_eq!(MemoryLimits::default().budget(), FALLBACK_BYTES);
    }
}
