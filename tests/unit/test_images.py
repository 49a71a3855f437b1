"""Image recipes: cache keys follow the recipe; keyrings are checked before use."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from tools.images import build
from tools.images.recipes import RECIPES, UBUNTU_ARCHIVE_FINGERPRINTS


def test_key_changes_with_the_recipe_and_only_then():
    recipe = RECIPES["debian12"]
    same = dataclasses.replace(recipe)
    more = dataclasses.replace(recipe, packages=(*recipe.packages, "vim"))
    assert build.recipe_key(recipe) == build.recipe_key(same)
    assert build.recipe_key(recipe) != build.recipe_key(more)


def test_ubuntu_recipe_checks_both_archive_keys():
    recipe = RECIPES["ubuntu1604"]
    assert recipe.fingerprints == UBUNTU_ARCHIVE_FINGERPRINTS
    assert "apt-transport-https" in recipe.packages


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed (make host-tools installs it)")
def test_vendored_keyring_holds_the_expected_keys(tmp_path):
    keyring = build.verified_keyring(RECIPES["ubuntu1604"], tmp_path)
    assert keyring is not None and keyring.stat().st_size > 0


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed (make host-tools installs it)")
def test_keyring_without_the_expected_key_is_refused(tmp_path):
    wrong = dataclasses.replace(RECIPES["ubuntu1604"], fingerprints=("0" * 40,))
    with pytest.raises(build.BuildError, match="lacks the expected signing key"):
        build.verified_keyring(wrong, tmp_path)


def test_unreachable_archive_is_reported_not_raised():
    recipe = dataclasses.replace(RECIPES["debian12"], mirror="http://127.0.0.1:9/debian")
    reason = build.archive_answers(recipe)
    assert reason is not None and "did not answer" in reason
