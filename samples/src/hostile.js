'use strict';
// The hostile strings of hostile.pcapng, shared by the Node sample programs (see hostile.json).
module.exports = { HOSTILE: require('./hostile.json') };
