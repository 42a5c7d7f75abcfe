import { readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { mapBounded } from "./bounded.js";

const SCAN_CONCURRENCY = 16;
const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/**
 * Finds the process owning each socket inode by reading the links of `<procRoot>/<pid>/fd/*`
 * (`socket:[<inode>]`). A socket shared by several processes (after fork) maps to the lowest pid.
 * Processes whose fd directory cannot be read (another user's, when not root) or that exit during
 * the scan are skipped, so an inode may stay unmapped. Stops as soon as every inode is found.
 */
export async function findSocketOwners(
  procRoot: string,
  inodes: ReadonlySet<number>,
  signal: AbortSignal,
): Promise<Map<number, number>> {
  const owners = new Map<number, number>();
  if (inodes.size === 0) return owners;
  const pids = (await readdir(procRoot))
    .filter((n) => /^[1-9]\d*$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
  // Claims are gathered per pid and applied in pid order, so the lowest pid wins whatever the
  // order in which the concurrent scans finish.
  const perPid = await mapBounded(pids, SCAN_CONCURRENCY, signal, async (pid) => {
    if (owners.size === inodes.size) return undefined;
    const found = await socketInodesOf(procRoot, pid, inodes);
    for (const inode of found) if (!owners.has(inode)) owners.set(inode, pid);
    return { pid, found };
  });
  owners.clear();
  for (const { pid, found } of perPid) {
    for (const inode of found) if (!owners.has(inode)) owners.set(inode, pid);
  }
  return owners;
}

async function socketInodesOf(
  procRoot: string,
  pid: number,
  wanted: ReadonlySet<number>,
): Promise<number[]> {
  const fdDir = path.join(procRoot, String(pid), "fd");
  let fds: string[];
  try {
    fds = await readdir(fdDir);
  } catch {
    return []; // gone, or not ours to read
  }
  const found: number[] = [];
  for (const fd of fds) {
    let target: string;
    try {
      target = await readlink(path.join(fdDir, fd));
    } catch {
      continue; // closed meanwhile
    }
    const m = SOCKET_LINK.exec(target);
    if (!m) continue;
    const inode = Number(m[1]);
    if (wanted.has(inode)) found.push(inode);
  }
  return found;
}
