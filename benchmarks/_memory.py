"""Resident memory of the current process, for the benchmark scripts (Linux)."""


def resident_mib(field="VmRSS"):
    """``VmRSS`` (now) or ``VmHWM`` (the peak since the last reset) in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak():
    """Reset the peak-RSS counter (``VmHWM``, ``ru_maxrss``) to the current RSS."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
