# Installation layout and the Debian package (`cpack -G DEB` in the build directory writes
# reco_<version>_amd64.deb; docs/deploy.md). Checked by tests/deploy/check_deb.py.
include(GNUInstallDirs)

set(RECO_DEBIAN_DIR ${PROJECT_SOURCE_DIR}/deploy/debian)
install(TARGETS reco RUNTIME DESTINATION bin)
# Debian 12 keeps the units of packages in /lib/systemd/system (merged /usr makes it the same
# directory as /usr/lib/systemd/system).
install(FILES ${RECO_DEBIAN_DIR}/reco-serve.service ${RECO_DEBIAN_DIR}/reco-worker.service
        DESTINATION /lib/systemd/system)
install(FILES ${RECO_DEBIAN_DIR}/reco.toml DESTINATION /etc/reco)
install(FILES ${PROJECT_SOURCE_DIR}/reco.toml.example ${PROJECT_SOURCE_DIR}/docs/deploy.md
              ${PROJECT_SOURCE_DIR}/docs/configuration.md
        DESTINATION share/doc/reco)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME reco)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "reco maintainers <reco@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "recommendation server: REST API, training, scheduled jobs")
set(CPACK_PACKAGE_DESCRIPTION
    "One binary `reco` with the Gorse-compatible REST server (reco-serve.service), the job\n\
scheduler (reco-worker.service), the training pipeline and the Alertmanager to WeCom gateway.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # reco_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: computed by dpkg-shlibdeps from the libraries the installed binary needs, plus the
# tools of the maintainer scripts (adduser creates the `reco` system user).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${RECO_DEBIAN_DIR}/conffiles ${RECO_DEBIAN_DIR}/postinst ${RECO_DEBIAN_DIR}/prerm
    ${RECO_DEBIAN_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
