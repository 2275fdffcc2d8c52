//! What the server spent: CPU time and RSS from `/proc`, and its
//! Prometheus `/metrics`, read at the start and the end of a measurement.

use std::collections::{BTreeMap, HashMap};

use crate::sys::clock_ticks_per_sec;

/// One node's process, in one reading.
#[derive(Clone, Debug, Default)]
pub struct NodeReading {
    /// CPU (user + system), seconds.
    pub cpu: Option<f64>,
    /// Resident memory, KiB.
    pub rss_kib: Option<u64>,
    /// CPU seconds by thread name (threads of one name added up: actix's
    /// HTTP workers share theirs, the actor threads are `cb-actors-N`).
    pub threads: BTreeMap<String, f64>,
}

/// One reading of the server (every node of it), its PostgreSQL, and this
/// process.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// Server CPU (user + system), seconds; all nodes together.
    pub server_cpu: Option<f64>,
    /// PostgreSQL CPU: the postmaster's tree, reaped children included.
    pub pg_cpu: Option<f64>,
    /// This generator's CPU, seconds.
    pub own_cpu: f64,
    /// Server resident memory, KiB; all nodes together.
    pub server_rss_kib: Option<u64>,
    /// Each node on its own, in the probe's order (one entry for one node).
    pub nodes: Vec<NodeReading>,
    /// `/metrics` samples by `name{labels}`, summed over the nodes.
    pub metrics: HashMap<String, f64>,
}

/// Reads the server; fields are `None` when no pid was given.
#[derive(Clone)]
pub struct Probe {
    /// Each node's `/metrics` address and process id.
    nodes: Vec<(String, Option<u32>)>,
    pg_pid: Option<u32>,
    http: reqwest::Client,
}

/// Fields of `/proc/<pid>/stat` after the command name: (state is 0)
/// utime 11, stime 12, cutime 13, cstime 14, and ppid 1.
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let raw = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &raw[raw.rfind(')')? + 2..];
    Some(
        rest.split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect(),
    )
}

/// CPU seconds of `pid` itself (all threads).
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    Some((f.get(11)? + f.get(12)?) as f64 / clock_ticks_per_sec() as f64)
}

/// CPU seconds of `root` and every live descendant, plus the children
/// they reaped (PostgreSQL backends that ended are in the postmaster's
/// `cutime`/`cstime`).
pub fn tree_cpu_secs(root: u32) -> Option<f64> {
    let mut parent = HashMap::new();
    let mut ticks = HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(f) = stat_fields(pid) {
            parent.insert(pid, f.get(1).copied().unwrap_or(0) as u32);
            ticks.insert(pid, f.get(11..15).map_or(0, |t| t.iter().sum::<u64>()));
        }
    }
    ticks.get(&root)?;
    let in_tree = |mut pid: u32| loop {
        if pid == root {
            return true;
        }
        match parent.get(&pid) {
            Some(&p) if p != 0 && p != pid => pid = p,
            _ => return false,
        }
    };
    let total: u64 = ticks
        .iter()
        .filter(|(&pid, _)| in_tree(pid))
        .map(|(_, t)| t)
        .sum();
    Some(total as f64 / clock_ticks_per_sec() as f64)
}

/// CPU seconds of each thread of `pid` by its name (`/proc/<pid>/task/*`),
/// threads of one name added up.
pub fn thread_cpu_secs(pid: u32) -> BTreeMap<String, f64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    let hz = clock_ticks_per_sec() as f64;
    for task in tasks.flatten() {
        let dir = task.path();
        let (Ok(stat), Ok(comm)) = (
            std::fs::read_to_string(dir.join("stat")),
            std::fs::read_to_string(dir.join("comm")),
        ) else {
            continue; // the thread ended meanwhile
        };
        let Some(rest) = stat.rfind(')').map(|at| &stat[at + 2..]) else {
            continue;
        };
        let fields: Vec<u64> = rest
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
        *by_name.entry(comm.trim().to_owned()).or_insert(0.0) += ticks as f64 / hz;
    }
    by_name
}

/// `VmRSS` of `pid`, KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Parse the Prometheus text format into `name{labels}` → value.
pub fn parse_metrics(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.trim().to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

impl Probe {
    /// A probe of the server at `base_url`.
    pub fn new(base_url: &str, server_pid: Option<u32>, pg_pid: Option<u32>) -> Probe {
        Probe::nodes(&[base_url.to_owned()], &Vec::from_iter(server_pid), pg_pid)
    }

    /// A probe of every node at `base_urls`, whose processes are
    /// `server_pids` in the same order (or none given).
    pub fn nodes(base_urls: &[String], server_pids: &[u32], pg_pid: Option<u32>) -> Probe {
        Probe {
            nodes: base_urls
                .iter()
                .enumerate()
                .map(|(i, url)| (format!("{url}/metrics"), server_pids.get(i).copied()))
                .collect(),
            pg_pid,
            http: reqwest::Client::new(),
        }
    }

    /// The server's RSS now, KiB (all nodes together).
    pub fn server_rss_kib(&self) -> Option<u64> {
        self.nodes
            .iter()
            .map(|(_, pid)| rss_kib((*pid)?))
            .sum::<Option<u64>>()
    }

    /// The server's metrics now, summed over the nodes (empty when
    /// `/metrics` is off).
    pub async fn metrics(&self) -> HashMap<String, f64> {
        let mut all = HashMap::new();
        for (url, _) in &self.nodes {
            let page = match self.http.get(url).send().await {
                Ok(res) if res.status().is_success() => {
                    parse_metrics(&res.text().await.unwrap_or_default())
                }
                _ => continue,
            };
            for (key, value) in page {
                *all.entry(key).or_default() += value;
            }
        }
        all
    }

    /// Read everything.
    pub async fn read(&self) -> Reading {
        let metrics = self.metrics().await;
        let nodes: Vec<NodeReading> = self
            .nodes
            .iter()
            .map(|(_, pid)| NodeReading {
                cpu: pid.and_then(cpu_secs),
                rss_kib: pid.and_then(rss_kib),
                threads: pid.map(thread_cpu_secs).unwrap_or_default(),
            })
            .collect();
        Reading {
            server_cpu: nodes.iter().map(|n| n.cpu).sum::<Option<f64>>(),
            pg_cpu: self.pg_pid.and_then(tree_cpu_secs),
            own_cpu: cpu_secs(std::process::id()).unwrap_or(0.0),
            server_rss_kib: nodes.iter().map(|n| n.rss_kib).sum::<Option<u64>>(),
            nodes,
            metrics,
        }
    }
}

/// The sum of every sample of `name` (all label sets).
pub fn sum(metrics: &HashMap<String, f64>, name: &str) -> f64 {
    metrics
        .iter()
        .filter(|(k, _)| *k == name || k.strip_prefix(name).is_some_and(|r| r.starts_with('{')))
        .map(|(_, v)| v)
        .sum()
}

/// The change of `name` (summed over labels) between two readings.
pub fn delta(before: &Reading, after: &Reading, name: &str) -> f64 {
    sum(&after.metrics, name) - sum(&before.metrics, name)
}

/// The `q` quantile of a Prometheus histogram's growth between two
/// readings: the upper bound of the bucket holding it (seconds), or `None`
/// when nothing was observed.
pub fn histogram_quantile(before: &Reading, after: &Reading, name: &str, q: f64) -> Option<f64> {
    let prefix = format!("{name}_bucket{{");
    let mut buckets: BTreeMap<u64, f64> = BTreeMap::new();
    for (key, value) in &after.metrics {
        let Some(labels) = key.strip_prefix(&prefix) else {
            continue;
        };
        let le = labels.split("le=\"").nth(1)?.split('"').next()?;
        let bound = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse::<f64>().ok()?
        };
        let grown = value - before.metrics.get(key).copied().unwrap_or(0.0);
        *buckets.entry(bound.to_bits()).or_default() += grown;
    }
    let mut sorted: Vec<(f64, f64)> = buckets
        .into_iter()
        .map(|(b, n)| (f64::from_bits(b), n))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = sorted.last()?.1;
    if total <= 0.0 {
        return None;
    }
    sorted
        .iter()
        .find(|(_, cumulative)| *cumulative >= total * q)
        .map(|(bound, _)| *bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_parse_and_histograms_give_bucket_bounds() {
        let before = Reading {
            metrics: parse_metrics(
                "x_bucket{le=\"0.001\"} 0\nx_bucket{le=\"0.01\"} 0\nx_bucket{le=\"+Inf\"} 0\n",
            ),
            ..Reading::default()
        };
        let after = Reading {
            metrics: parse_metrics(
                "# HELP x h\nx_bucket{le=\"0.001\"} 90\nx_bucket{le=\"0.01\"} 99\nx_bucket{le=\"+Inf\"} 100\nx_count 100\ny{a=\"1\"} 2\ny{a=\"2\"} 3\n",
            ),
            ..Reading::default()
        };
        assert_eq!(histogram_quantile(&before, &after, "x", 0.5), Some(0.001));
        assert_eq!(histogram_quantile(&before, &after, "x", 0.99), Some(0.01));
        assert_eq!(
            histogram_quantile(&before, &after, "x", 1.0),
            Some(f64::INFINITY)
        );
        assert_eq!(sum(&after.metrics, "y"), 5.0);
        assert_eq!(delta(&before, &after, "x_count"), 100.0);
    }

    #[test]
    fn own_process_is_readable() {
        let me = std::process::id();
        assert!(rss_kib(me).expect("own rss") > 0);
        assert!(cpu_secs(me).is_some());
        assert!(tree_cpu_secs(me).is_some());
    }
}
