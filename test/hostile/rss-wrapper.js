// Runs the CLI (bin/grpctk.js) in this very process and, when the process exits, writes its peak resident
// set size in KiB (process.resourceUsage().maxRSS) to the file named by GRPCTK_RSS_FILE: the hostile suite's
// way to measure the memory a command needed, without depending on /usr/bin/time.
'use strict';
const fs = require('fs');
const path = require('path');

const file = process.env.GRPCTK_RSS_FILE;
// Also the CPU time used (user + system, µs): what the time guard judges, whatever else shares the machine.
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    fs.writeFileSync(file, `${u.maxRSS} ${u.userCPUTime + u.systemCPUTime}`);
  });
}
require(path.join(__dirname, '..', '..', 'bin', 'grpctk.js'));
