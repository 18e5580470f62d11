// Preloaded into the AutoRest test server's process (`node --import`): its
// command line has a port option but no host one, and Express's
// `listen(port)` would take every interface. A listen given a port and no
// host is bound to 127.0.0.1 instead.
import { Server } from "node:net";

const listen = Server.prototype.listen;
Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  return listen.apply(this, args);
};
