/**
 * Splits DataLoader keys into groups that share the same arguments (a date range, a filter, a window), so
 * that each group is one SQL statement. `groupOf` returns the group's identity (compared with ===, so a
 * string for composite arguments).
 */
export function groupBy<K, G>(keys: readonly K[], groupOf: (key: K) => G): Map<G, K[]> {
  const groups = new Map<G, K[]>();
  for (const key of keys) {
    const group = groupOf(key);
    const members = groups.get(group);
    if (members) members.push(key);
    else groups.set(group, [key]);
  }
  return groups;
}
