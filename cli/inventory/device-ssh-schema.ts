// The JSON Schema of secrets.yaml's `device_ssh` (config backup; rules in config-backup.ts).

/** `device_ssh` of secrets.yaml. SSH user names and passwords: printable ASCII, no spaces. */
export const deviceSshSchema = {
  type: 'object',
  description: 'SSH logins for config backup (role config-backup), by device hostname as in devices.yaml',
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['username', 'password'],
    properties: {
      username: { type: 'string', minLength: 1, pattern: '^[!-~]+$', 'x-hint': 'printable ASCII without spaces' },
      password: { type: 'string', minLength: 1, pattern: '^[!-~]+$', 'x-hint': 'printable ASCII without spaces' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'SSH port of the device (default 22)' },
    },
  },
};
