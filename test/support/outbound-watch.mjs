// Preloaded (node --import) into processes under test: prints every attempt to resolve or reach a host
// beyond this machine, so a test can assert that nothing calls home. Plain JavaScript: it runs before tsx.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

const LOCAL = /^(localhost|127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|0\.0\.0\.0|::)$/i;
const report = (what) => fs.writeSync(2, `TIGA-OUTBOUND ${what}\n`);

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const options = Array.isArray(args[0]) ? args[0][0] : args[0];
  const [host, port] = typeof options === 'object' && options !== null ? [options.host, options.port] : typeof options === 'number' || /^\d+$/.test(String(options)) ? [args[1], options] : [undefined, undefined];
  // A path is a Unix socket (PostgreSQL's, an IPC pipe): local by definition.
  if (!(typeof options === 'object' && options?.path) && !(typeof options === 'string' && !/^\d+$/.test(options)) && host !== undefined && !LOCAL.test(String(host))) report(`connect ${host}:${port}`);
  return connect.apply(this, args);
};

for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) {
  const original = dns[name];
  dns[name] = function (hostname, ...rest) {
    if (!LOCAL.test(String(hostname))) report(`dns ${name} ${hostname}`);
    return original.call(this, hostname, ...rest);
  };
  const promised = dns.promises[name];
  dns.promises[name] = function (hostname, ...rest) {
    if (!LOCAL.test(String(hostname))) report(`dns ${name} ${hostname}`);
    return promised.call(this, hostname, ...rest);
  };
}
