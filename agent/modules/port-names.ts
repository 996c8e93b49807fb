// Port names from an OS's own MIB (definition `ports:`): a collector of ports that also walks the
// columns the definition names and replaces ifName, ifDescr or ifAlias with what they give. Only
// walks that read the names (discovery, a poll of never discovered ports) are touched.
import type { CollectedData, Collector, PortRecord } from '../collectors/types.js';
import type { DefinitionSet } from '../definitions/loader.js';
import type { OsDefinition, PortNameField, PortNameSource } from '../definitions/types.js';
import { str } from '../snmp/values.js';

const OID = /^\d+(\.\d+)+$/;

/** `ports` with the definition's naming rules applied; `ports` itself when the OS has none. */
export function namedPorts(
  ports: Collector<PortRecord[]>,
  def: OsDefinition | undefined,
  set: Pick<DefinitionSet, 'regex'>,
): Collector<PortRecord[]> {
  const rules = Object.entries(def?.ports ?? {}) as [PortNameField, PortNameSource[]][];
  if (rules.length === 0) return ports;
  const extra = rules.flatMap(([, list]) => list.map((s) => s.from)).filter((f) => OID.test(f));
  return {
    ...ports,
    columns: [...new Set([...(ports.columns ?? []), ...extra])],
    process(data: CollectedData) {
      const out = ports.process(data);
      for (const p of out) if (p.ifDescr !== null) rename(p, rules, data, set.regex);
      return out;
    },
  };
}

function rename(
  p: PortRecord,
  rules: [PortNameField, PortNameSource[]][],
  data: CollectedData,
  regex: Map<string, RegExp>,
): void {
  const before = { ifName: p.ifName, ifDescr: p.ifDescr, ifAlias: p.ifAlias, ifIndex: String(p.ifIndex) };
  for (const [field, list] of rules) {
    for (const s of list) {
      const raw = OID.test(s.from)
        ? str(data.columns.get(s.from)?.get(String(p.ifIndex)))
        : before[s.from as keyof typeof before];
      const v = raw ? nameOf(raw, s, regex) : null;
      if (v) {
        p[field] = v;
        break;
      }
    }
  }
}

function nameOf(raw: string, s: PortNameSource, regex: Map<string, RegExp>): string | null {
  if (!s.match) return s.template ?? raw;
  const m = (regex.get(s.match) ?? new RegExp(s.match)).exec(raw);
  if (!m) return null;
  return (s.template ?? '$&').replace(/\$(\d|&)/g, (_, g: string) => (g === '&' ? m[0] : (m[Number(g)] ?? '')));
}
