// Operators and roles in the config (R-ID-1). Kept beside the code that reads it; the config
// schema only mounts it as `operators:`.
//
//   operators:
//     unknown: viewer          # or `refused`: what an identity no operator claims gets
//     people:
//       - name: bob
//         os_users: [bob]      # local accounts (proven by the kernel on the socket)
//         keys: ["ssh-ed25519 AAAA… bob@laptop"]   # authorized_keys lines
//         keys_file: /etc/doai-console/keys/bob.pub  # or a file of them
//         roles: [operator, approver]
import { z } from 'zod';

export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

// eslint-disable-next-line no-control-regex
const line = z.string().min(1).regex(/^[^\u0000-\u001f\u007f]*$/, 'one line without control characters');

export const operatorSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'a name of letters, digits, . _ @ -'),
  os_users: z.array(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*\$?$/, 'a local account name')).default([]),
  keys: z.array(line).default([]),
  keys_file: line.optional(),
  roles: z.array(z.enum(ROLES)).min(1, 'at least one role: viewer, operator or approver'),
});

export const operatorsSchema = z
  .strictObject({
    /** What a local user or key that no operator claims gets: the wall screen, or nothing. */
    unknown: z.enum(['viewer', 'refused']).default('viewer'),
    people: z.array(operatorSchema).default([]),
  })
  .superRefine((o, ctx) => {
    const seen = new Set<string>();
    o.people.forEach((p, i) => {
      const key = p.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['people', i, 'name'], message: `operator "${p.name}" is declared twice` });
      seen.add(key);
    });
  });

export type OperatorConfig = z.infer<typeof operatorSchema>;
export type OperatorsConfig = z.infer<typeof operatorsSchema>;
