"""Static files storage for production: hashed, compressed names (WhiteNoise), and pages that
still render before ``collectstatic`` has run."""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Like WhiteNoise's manifest storage, but a file missing from the manifest (no
    ``collectstatic`` yet, or a file added since) links its plain name instead of raising
    ValueError, which would make every page a 500. WhiteNoise then serves it from the
    apps' static folders (settings.production: WHITENOISE_USE_FINDERS without a manifest)."""

    manifest_strict = False
    _warned = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            # Only an absent manifest is worth a warning; WhiteNoise also asks about files that
            # are collected but never hashed (source maps), which is normal.
            if not self.hashed_files and not ForgivingManifestStaticFilesStorage._warned:
                ForgivingManifestStaticFilesStorage._warned = True
                logger.warning(
                    "Static files are not collected (first missing: %r); serving plain names. "
                    "Run `manage.py collectstatic`.",
                    name,
                )
            return name
