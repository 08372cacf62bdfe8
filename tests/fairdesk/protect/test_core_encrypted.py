"""A representative part of the existing suite, run again on an ENCRYPTED data folder.

The case services and the evidence import tests are collected here a second time with the
``store``/``demo_store``/``vault_store`` fixtures replaced by encrypted ones (SQLCipher database,
AES-GCM vault). The whole suite can also be run encrypted: ``pytest --encrypted``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fairdesk.crypto import keys
from fairdesk.demo import fill_demo
from fairdesk.store import Store, open_store
from tests.conftest import TEST_PASSPHRASE
from tests.fairdesk.evidence.conftest import case_id, files  # noqa: F401 - fixtures
from tests.fairdesk.evidence.test_import import *  # noqa: F403 - re-collected encrypted
from tests.fairdesk.test_cases import *  # noqa: F403 - re-collected encrypted


def _encrypted(data_dir: Path) -> Store:
    setup = keys.create_keyfile(data_dir, TEST_PASSPHRASE, params=keys.TEST_KDF)
    opened = open_store(data_dir, data_key=setup.data_key)
    assert opened.data_key is not None
    return opened


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = _encrypted(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def demo_store(data_dir: Path) -> Iterator[Store]:
    opened = _encrypted(data_dir)
    fill_demo(opened)
    yield opened
    opened.close()


@pytest.fixture
def vault_store(data_dir: Path) -> Iterator[Store]:
    opened = _encrypted(data_dir)
    yield opened
    opened.close()


def test_the_vault_really_is_encrypted_here(vault_store: Store, tmp_path: Path) -> None:
    assert vault_store.vault.key == vault_store.data_key


# These read vault or thumbnail files directly by path (exiftool on the blob, Image.open on the
# thumbnail, raw bytes compared with the source, a child process opening without the key):
# exactly what encryption at rest prevents. Their behaviour through the API is covered above.
del test_metadata_with_offset_subseconds_gps_and_camera  # noqa: F821
del test_orientation_correct_thumbnail  # noqa: F821
del test_heic_stays_heic_and_gets_a_thumbnail  # noqa: F821
del test_corrupt_jpeg_kept_byte_exact_as_file_item  # noqa: F821
del test_pixel_flood_png_never_decoded_but_kept  # noqa: F821
del test_two_gigabyte_video_is_streamed  # noqa: F821
