// The `config:` key of an OS definition (config backup, docs/config-backup.md): the SSH
// commands whose output is the device's configuration, and the lines to drop because they change
// on every read. Kept apart from the SNMP parts of the schema (schema.ts takes it as one key).

/** How to read a device's configuration over SSH. */
export interface ConfigDef {
  /** Commands run one after another (exec channels); their outputs joined are the configuration. */
  commands: string[];
  /** Regular expressions over single lines: matching lines are not kept (timestamps, uptimes). */
  strip?: string[];
}

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['commands'],
  properties: {
    commands: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    strip: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
} as const;
