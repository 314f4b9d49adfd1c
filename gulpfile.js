const { src, dest } = require('gulp');

/** Copies node and credential icons and the node's codex JSON next to the compiled code. */
function buildIcons() {
	return src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(dest('dist'));
}

exports['build:icons'] = buildIcons;
