#!/usr/bin/env python3
"""Adds lock entries for the other platforms' builds of Biome and buf.

The npm registry these machines reach serves only the Linux builds of these two tools, so `npm install`
leaves the other platforms' optional packages out of package-lock.json, and `npm ci` then refuses the lock
as out of sync. Entries that name their os/cpu are skipped by npm ci on Linux without being fetched.
Run after `npm install` changes the lock.
"""
import json
import pathlib

PLATFORMS = {
    'android-arm64': ('android', 'arm64', None), 'android-x64': ('android', 'x64', None),
    'darwin-arm64': ('darwin', 'arm64', None), 'darwin-x64': ('darwin', 'x64', None),
    'linux-arm64': ('linux', 'arm64', 'glibc'), 'linux-arm64-musl': ('linux', 'arm64', 'musl'),
    'linux-x64': ('linux', 'x64', 'glibc'), 'linux-x64-musl': ('linux', 'x64', 'musl'),
    'linux-aarch64': ('linux', 'arm64', None), 'linux-armv7': ('linux', 'arm', None),
    'win32-arm64': ('win32', 'arm64', None), 'win32-x64': ('win32', 'x64', None),
}
TOOLS = {'@biomejs/biome': '@biomejs/cli-', '@bufbuild/buf': '@bufbuild/buf-'}

lock_path = pathlib.Path(__file__).resolve().parent.parent / 'package-lock.json'
lock = json.loads(lock_path.read_text())
packages = lock['packages']
for tool, prefix in TOOLS.items():
    for name, version in packages[f'node_modules/{tool}'].get('optionalDependencies', {}).items():
        key = f'node_modules/{name}'
        if key in packages:
            continue
        os_name, cpu, libc = PLATFORMS[name[len(prefix):]]
        entry = {'version': version, 'cpu': [cpu], 'dev': True, 'optional': True, 'os': [os_name]}
        if libc:
            entry['libc'] = [libc]
        packages[key] = entry
lock_path.write_text(json.dumps(lock, indent=2) + '\n')
