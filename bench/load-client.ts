/**
 * autocannon in a process of its own, so that the load generator does not share an event loop with dynalite and
 * the simulator. Argument: a JSON object {url, key, connections, durationSec, agents, tag}; prints autocannon's
 * result as one JSON line.
 */
import autocannon from 'autocannon';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  key: string;
  connections: number;
  durationSec: number;
  agents: number;
  tag: string;
};
let i = 0;
autocannon(
  {
    url: `${args.url}/v1/calls`,
    method: 'POST',
    connections: args.connections,
    duration: args.durationSec,
    headers: { authorization: `Bearer ${args.key}`, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          const n = i++;
          return {
            ...req,
            headers: { ...req.headers, 'idempotency-key': `${args.tag}-${n}` },
            body: JSON.stringify({
              agent: { crmUserId: `u-${n % args.agents}` },
              to: `+44 7766 ${800000 + (n % 100000)}`,
              lead: { id: `${args.tag}-${n}` },
            }),
          };
        },
      },
    ],
  },
  (error, result) => {
    if (error) {
      console.error(error);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
);
