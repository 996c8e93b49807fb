// The part of ssh2 (a dependency of node-ssh, pinned in package.json) that the inventory
// check uses: its key parser, which reads OpenSSH, PEM and PuTTY private keys.
declare module 'ssh2' {
  interface ParsedKey {
    type: string;
    comment: string;
    isPrivateKey(): boolean;
  }
  const ssh2: { utils: { parseKey(data: Buffer | string, passphrase?: string): ParsedKey | ParsedKey[] | Error } };
  export default ssh2;
}
