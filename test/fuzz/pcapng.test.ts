/**
 * Generated pcapng and pcap files (every block type, both byte orders, lying lengths and options): only
 * InputError, valid records, and the same outcome however the bytes are cut into pushes.
 */
import { fuzzTest } from './lib/fuzz-test';

fuzzTest('pcapng', 'generated pcapng and pcap files give the same records or InputError however they are pushed');
