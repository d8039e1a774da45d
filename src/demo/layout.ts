// What a demo directory holds. Shared by the fleet (writes it) and `demo fault` (reads it from
// another process), so this file stays free of heavy imports.

export const DEMO_FILES = {
  config: 'console.yaml',
  hostKey: 'ssh_host_ed25519_key',
  dbHostKey: 'ssh_host_ed25519_key.demo-db',
  clientKey: 'id_ed25519',
  clientPublicKey: 'id_ed25519.pub',
  knownHosts: 'known_hosts',
  controlToken: 'control.token',
  providerKey: 'provider.key',
} as const;

export const DEMO_PROVIDER_KEY_ENV = 'DOAI_DEMO_PROVIDER_KEY';
export const DEMO_HOST = 'demo-vm';
/** The second host: a database box with its own sshd and host key, its disk over 80 % (seed 002). */
export const DEMO_DB_HOST = 'demo-db';
export const DEMO_DB_DISK_USED_PCT = 87;
export const DEMO_INSTANCE_ID = 'demo-instance';
/** Where the demo host keeps its backups: the host's backup_dir, which L3's backup step writes. */
export const DEMO_BACKUP_DIR = '/var/backups/doai';
