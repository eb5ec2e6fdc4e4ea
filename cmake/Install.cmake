# `cmake --install build [--prefix P]`: remat's headers (with the TableGen'd
# .h.inc), static libraries, the C API, the mlir-opt plugin and a RematConfig
# so that `find_package(Remat)` works (test/cmake-consumer checks it).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The one target a consumer links: every remat library and the headers.
add_library(Remat INTERFACE)
target_link_libraries(Remat INTERFACE RematInit)
target_include_directories(Remat INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

set(REMAT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Remat)
install(TARGETS Remat RematInit RematPipelines RematTransforms RematAnalysis
                RematDialect RematPlanner RematCAPI
  EXPORT RematTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS RematPlugin LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT RematTargets NAMESPACE Remat::
  DESTINATION ${REMAT_INSTALL_CMAKEDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/remat
                  ${PROJECT_SOURCE_DIR}/include/remat-c
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/remat
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.inc"
  PATTERN "CMakeFiles" EXCLUDE)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/RematConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/RematConfig.cmake
  INSTALL_DESTINATION ${REMAT_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/RematConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/RematConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/RematConfigVersion.cmake
  DESTINATION ${REMAT_INSTALL_CMAKEDIR})
