/** What the fault-injecting decorators pass through: the members of the port object they wrap. */

/**
 * Own and inherited member names of a port object (classes keep their methods on the prototype),
 * but for `constructor`.
 */
export function memberNames(port: object): Set<string> {
  const names = new Set<string>();
  for (let target: object | null = port; target !== null && target !== Object.prototype; target = Object.getPrototypeOf(target)) {
    for (const name of Object.getOwnPropertyNames(target)) if (name !== 'constructor') names.add(name);
  }
  return names;
}
