// The part of js-yaml 4 (pinned in package.json; it ships no types) that the inventory loader
// uses: the fast reader for valid files (source.ts).
declare module 'js-yaml' {
  interface Schema {
    readonly _brand?: 'Schema';
  }
  const jsYaml: {
    load(text: string, options?: { schema?: Schema; filename?: string }): unknown;
    CORE_SCHEMA: Schema;
  };
  export default jsYaml;
}
