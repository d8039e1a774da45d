// What a demo directory holds. Shared by the fleet (writes it) and `demo fault` (reads it from
// another process), so this file stays free of heavy imports.

export const DEMO_FILES = {
  config: 'console.yaml',
  hostKey: 'ssh_host_ed25519_key',
  clientKey: 'id_ed25519',
  clientPublicKey: 'id_ed25519.pub',
  knownHosts: 'known_hosts',
  controlToken: 'control.token',
  providerKey: 'provider.key',
} as const;

export const DEMO_PROVIDER_KEY_ENV = 'DOAI_DEMO_PROVIDER_KEY';
export const DEMO_HOST = 'demo-vm';
export const DEMO_INSTANCE_ID = 'demo-instance';
