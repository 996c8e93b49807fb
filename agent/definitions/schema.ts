// The JSON schema every definition file is checked against when loaded (ajv). Numeric OIDs
// only: nothing resolves MIB names at run time.
import { configSchema } from './config-schema.js';
const OID = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)+$' };
const DOTTED_OID = { type: 'string', pattern: '^\\.[0-9]+(\\.[0-9]+)*$' };
// regexes are compiled (and their errors placed) by the loader
const REGEX = { type: 'string', minLength: 1 };
const LIMIT = { anyOf: [{ type: 'number' }, OID] };

const source = {
  type: 'object',
  additionalProperties: false,
  required: ['from'],
  properties: {
    from: { anyOf: [OID, { enum: ['sysDescr', 'sysObjectID'] }] },
    first: { type: 'boolean' },
    match: REGEX,
    template: { type: 'string' },
    map: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

const tableProps = {
  oid: OID,
  descr: { type: 'string' },
  type: { type: 'string', minLength: 1 },
  divisor: { type: 'number', exclusiveMinimum: 0 },
  multiplier: { type: 'number', exclusiveMinimum: 0 },
  idle: { type: 'boolean' },
  skip_values: { type: 'array', items: { type: 'number' } },
  skip_descr: { type: 'array', items: REGEX },
  keep_descr: { type: 'array', items: REGEX },
  value_match: REGEX,
  skip_zero: { type: 'array', items: OID },
  where: {
    type: 'object',
    additionalProperties: false,
    required: ['in'],
    // a column, or a part of the index: one of the two
    oneOf: [
      { required: ['oid'], properties: { oid: OID } },
      { required: ['part'], properties: { part: { type: 'integer', minimum: 1 } } },
    ],
    properties: {
      oid: OID,
      part: { type: 'integer', minimum: 1 },
      in: { type: 'array', minItems: 1, items: { type: 'number' } },
    },
  },
};
const table = { type: 'object', additionalProperties: false, required: ['oid'], properties: tableProps };

const mempool = {
  type: 'object',
  additionalProperties: false,
  required: ['oid'],
  properties: {
    ...tableProps,
    perc: OID,
    total: OID,
    used: OID,
    free: OID,
    precision: { type: 'number', exclusiveMinimum: 0 },
    class: { type: 'string' },
  },
};

const sensor = {
  type: 'object',
  additionalProperties: false,
  required: ['oid', 'class'],
  properties: {
    ...tableProps,
    count_rows: { type: 'boolean' },
    convert: { enum: ['mw_to_dbm', 'uw_to_dbm'] },
    class: {
      enum: [
        'temperature',
        'voltage',
        'current',
        'power',
        'fanspeed',
        'humidity',
        'frequency',
        'dbm',
        'load',
        'runtime',
        'charge',
        'count',
        'state',
        'percent',
        'airflow',
        'snr',
        'signal',
        'power_factor',
        'pressure',
        'power_consumed',
        'delay',
      ],
    },
    states: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['value', 'descr', 'generic'],
        properties: { value: { type: 'integer' }, descr: { type: 'string' }, generic: { enum: [0, 1, 2, 3] } },
      },
    },
    low_limit: LIMIT,
    high_limit: LIMIT,
    warn_limit: LIMIT,
    low_warn_limit: LIMIT,
  },
};

const rule = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    sysObjectID: { type: 'array', minItems: 1, items: DOTTED_OID },
    sysDescr: { type: 'array', minItems: 1, items: REGEX },
    sysDescr_except: { type: 'array', minItems: 1, items: REGEX },
    get: { type: 'object', additionalProperties: false, required: ['oid'], properties: { oid: OID, match: REGEX } },
    has: OID,
  },
};

const portName = {
  type: 'object',
  additionalProperties: false,
  required: ['from'],
  properties: {
    from: { anyOf: [OID, { enum: ['ifIndex', 'ifName', 'ifDescr', 'ifAlias'] }] },
    match: REGEX,
    template: { type: 'string' },
  },
};

export const definitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['os', 'text', 'vendor', 'type', 'icon', 'detect'],
  properties: {
    os: { type: 'string', pattern: '^[a-z0-9_-]+$' },
    text: { type: 'string', minLength: 1 },
    vendor: { type: 'string', minLength: 1 },
    type: {
      enum: [
        'network',
        'server',
        'power',
        'wireless',
        'printer',
        'storage',
        'firewall',
        'appliance',
        'camera',
        'environment',
        'management',
      ],
    },
    icon: { type: 'string', pattern: '^[a-z0-9_.-]+$' },
    priority: { type: 'integer' },
    detect: { type: 'array', items: rule },
    fields: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        ['hardware', 'version', 'serial', 'features'].map((f) => [f, { type: 'array', minItems: 1, items: source }]),
      ),
    },
    disabled_modules: { type: 'array', items: { type: 'string' } },
    skip_generic: { type: 'array', items: { enum: ['hr', 'hrstorage', 'ucd', 'entity-sensor'] } },
    use_generic: { type: 'array', items: { enum: ['cisco-entity-sensor'] } },
    processors: { type: 'array', items: table },
    mempools: { type: 'array', items: mempool },
    storage: { type: 'array', items: mempool },
    sensors: { type: 'array', items: sensor },
    ports: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        ['ifName', 'ifDescr', 'ifAlias'].map((f) => [f, { type: 'array', minItems: 1, items: portName }]),
      ),
    },
    config: configSchema,
  },
} as const;
