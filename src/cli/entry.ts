import { main } from './main';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Keep-alive pools and SSH sockets must not keep a finished command alive.
setTimeout(() => process.exit(code), 50).unref();
