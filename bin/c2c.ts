import { main } from '../lib/cli/main';

void main(process.argv);
